import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { findV1Mounts } from '../../runtime/cgroups/v1.js';
import { inspectPodSandbox } from '../../runtime/inspect.js';
import { eventually, execOutput, newSandboxConfig, newTestRuntime, startSleeper, type TestRuntime } from './fixtures.js';

let env: TestRuntime;
test.before(async () => {
  env = await newTestRuntime();
});
test.after.always(async () => {
  await env?.dispose();
});

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

test('stop sends SIGTERM and the handler exits cleanly', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  const container = await startSleeper(env.runtime, sandboxId, { command: ['sh', '-c', 'trap "exit 0" TERM; echo trapped; while true; do sleep 0.1; done'] });
  // Until the shell has installed its handler, PID 1 of the namespace ignores SIGTERM.
  await eventually(async () => {
    const lines: string[] = [];
    await env.runtime.readLogs(container.id, {}, (line) => lines.push(line.content));
    return lines.includes('trapped');
  }, 10_000, 'the TERM handler');
  await env.runtime.stopContainer(container.id, 10);
  const status = await env.runtime.containerStatus(container.id);
  t.is(status.state, 'CONTAINER_EXITED');
  t.is(status.exitCode, 0);
  t.false(alive(container.pid));
  await env.runtime.removePodSandbox(sandboxId);
});

test('stop kills after the grace period', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  // PID 1 of a pid namespace ignores SIGTERM unless it installs a handler, so only SIGKILL ends it.
  const container = await startSleeper(env.runtime, sandboxId, { command: ['sleep', '1000'] });
  const started = Date.now();
  await env.runtime.stopContainer(container.id, 1);
  t.true(Date.now() - started >= 900, 'waited for the grace period');
  const status = await env.runtime.containerStatus(container.id);
  t.is(status.exitCode, 137);
  t.is(status.reason, 'Error');
  await env.runtime.removePodSandbox(sandboxId);
});

test('stop kills every process of the container cgroup', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root, { shareProcessNamespace: true }));
  // In a shared pid namespace the background sleep outlives its shell unless the cgroup is killed.
  const container = await startSleeper(env.runtime, sandboxId, { command: ['sh', '-c', 'sleep 1001 & exec sleep 1000'] });
  // The shells exec their sleeps only after the container starts, so wait until both sleeps are listed.
  const listing = ['sh', '-c', 'for p in /proc/[0-9]*; do echo "$(basename $p) $(cat $p/comm)"; done'];
  const children = await eventually(async () => {
    const output = (await execOutput(env.runtime, container.id, listing)).stdout;
    return (output.match(/ sleep$/gm) ?? []).length >= 2 ? output : undefined;
  }, 10_000, 'both sleeps in the container').catch(() => '');
  t.regex(children, / sleep/);
  const hostPids = execFileSync('pgrep', ['-f', 'sleep 1001'], { encoding: 'utf8' }).trim().split('\n').map(Number);
  await env.runtime.stopContainer(container.id, 0);
  for (const pid of hostPids) t.false(alive(pid), `pid ${pid} was killed`);
  await env.runtime.removePodSandbox(sandboxId);
});

test('removal leaves no process, mount, cgroup or link behind', async (t) => {
  const mountsBefore = readFileSync('/proc/self/mountinfo', 'utf8');
  const config = newSandboxConfig(env.root, { resources: { qosClass: 'Burstable', memoryLimit: 2 ** 27 } });
  const sandboxId = await env.runtime.runPodSandbox(config);
  const sandbox = await env.runtime.podSandboxStatus(sandboxId);
  const first = await startSleeper(env.runtime, sandboxId, { resources: { memoryLimit: 2 ** 26 } });
  const second = await startSleeper(env.runtime, sandboxId, { command: ['sh', '-c', 'sleep 1000 & sleep 1000'] });
  const veth = (await inspectPodSandbox(env.runtime, sandboxId)).hostVeth ?? '';
  t.true(veth !== '' && existsSync(`/sys/class/net/${veth}`), `veth ${veth} exists`);

  await env.runtime.removePodSandbox(sandboxId);

  for (const pid of [sandbox.pid, first.pid, second.pid]) t.false(alive(pid), `pid ${pid} is gone`);
  t.false(existsSync(`/sys/class/net/${veth}`), 'veth removed');
  t.false(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).includes(veth));
  const mountsAfter = readFileSync('/proc/self/mountinfo', 'utf8');
  t.false(mountsAfter.includes(env.root), 'no mount under the test root');
  t.is(mountsAfter.split('\n').filter((line) => line.includes(env.root)).length, mountsBefore.split('\n').filter((line) => line.includes(env.root)).length);
  const mounts = existsSync('/sys/fs/cgroup/cgroup.controllers') ? ['/sys/fs/cgroup'] : [...new Set(findV1Mounts().values())];
  for (const mount of mounts) t.false(existsSync(join(mount, `${env.options.cgroupRoot}/burstable/pod${config.uid}`)), `pod cgroup removed in ${mount}`);
  t.deepEqual(await env.runtime.listContainers({ sandboxId }), []);
  t.false(existsSync(join(env.options.dataDir, 'sandboxes', sandboxId)));
});

test('stopped sandbox is not ready and keeps its record', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  await env.runtime.stopPodSandbox(sandboxId);
  const status = await env.runtime.podSandboxStatus(sandboxId);
  t.is(status.state, 'SANDBOX_NOTREADY');
  t.true((await env.runtime.listPodSandboxes()).some((sandbox) => sandbox.id === sandboxId));
  await env.runtime.removePodSandbox(sandboxId);
  await t.throwsAsync(env.runtime.podSandboxStatus(sandboxId), { message: /not found/ });
});

test('host network pod shares the node namespaces', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root, { hostNetwork: true }));
  const sandbox = await env.runtime.podSandboxStatus(sandboxId);
  t.is(sandbox.ip, undefined);
  const container = await startSleeper(env.runtime, sandboxId);
  const result = await execOutput(env.runtime, container.id, ['hostname']);
  t.is(result.stdout, `${hostname()}\n`);
  t.is(readlinkSync(`/proc/${container.pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
  t.not(readlinkSync(`/proc/${container.pid}/ns/pid`), readlinkSync('/proc/self/ns/pid'));
  await env.runtime.removePodSandbox(sandboxId);
});

test('failed sandbox start leaves nothing behind', async (t) => {
  const config = newSandboxConfig(env.root, { hostname: 'x'.repeat(100) });
  await t.throwsAsync(env.runtime.runPodSandbox(config), { message: /sethostname/ });
  t.deepEqual((await env.runtime.listPodSandboxes()).filter((sandbox) => sandbox.uid === config.uid), []);
  const mounts = existsSync('/sys/fs/cgroup/cgroup.controllers') ? ['/sys/fs/cgroup'] : [...new Set(findV1Mounts().values())];
  for (const mount of mounts) t.false(existsSync(join(mount, `${env.options.cgroupRoot}/besteffort/pod${config.uid}`)), `pod cgroup removed in ${mount}`);
});
