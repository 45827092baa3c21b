import test from 'ava';
import { readFile } from 'node:fs/promises';

import { namespaceInode } from '../../runtime/proc.js';
import { execOutput, newSandboxConfig, newTestRuntime, startSleeper, type TestRuntime } from './fixtures.js';

let env: TestRuntime;
test.before(async () => {
  env = await newTestRuntime();
});
test.after.always(async () => {
  await env?.dispose();
});

test('containers share the holder ipc, uts and net namespaces', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  const holder = (await env.runtime.podSandboxStatus(sandboxId)).pid ?? 0;
  const first = (await startSleeper(env.runtime, sandboxId)).pid ?? 0;
  const second = (await startSleeper(env.runtime, sandboxId)).pid ?? 0;

  for (const type of ['ipc', 'uts', 'net'] as const) {
    t.is(await namespaceInode(first, type), await namespaceInode(holder, type), `${type} of the first container`);
    t.is(await namespaceInode(second, type), await namespaceInode(holder, type), `${type} of the second container`);
    t.not(await namespaceInode(holder, type), await namespaceInode(process.pid, type), `${type} differs from the host`);
  }
  for (const type of ['pid', 'mnt'] as const) {
    t.not(await namespaceInode(first, type), await namespaceInode(holder, type), `${type} of the first container is its own`);
    t.not(await namespaceInode(first, type), await namespaceInode(second, type), `${type} differs between containers`);
  }
  t.not(await namespaceInode(holder, 'pid'), await namespaceInode(process.pid, 'pid'));
  await env.runtime.removePodSandbox(sandboxId);
});

test('hostname is the pod name', async (t) => {
  const config = newSandboxConfig(env.root);
  const sandboxId = await env.runtime.runPodSandbox(config);
  const container = await startSleeper(env.runtime, sandboxId);
  const result = await execOutput(env.runtime, container.id, ['sh', '-c', 'hostname; cat /etc/hostname']);
  t.is(result.stdout, `${config.name}\n${config.name}\n`);
  await env.runtime.removePodSandbox(sandboxId);
});

test('container pid namespace nests inside the pod', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  const first = await startSleeper(env.runtime, sandboxId);
  await startSleeper(env.runtime, sandboxId);

  // NSpid lists the PID in each pid namespace from the host down: host, pod, container.
  const status = await readFile(`/proc/${first.pid}/status`, 'utf8');
  const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1].split(/\s+/).map(Number) ?? [];
  t.is(nspid.length, 3);
  t.is(nspid[0], first.pid ?? -1);
  t.is(nspid[2], 1);

  const ps = await execOutput(env.runtime, first.id, ['sh', '-c', 'ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\\n" " "']);
  // Only PID 1 (sleep) and the processes of this exec: the other container and the holder stay out of sight.
  t.notRegex(ps.stdout, /tkinit/);
  const ps1 = await execOutput(env.runtime, first.id, ['cat', '/proc/1/cmdline']);
  t.is(ps1.stdout.replaceAll('\0', ' ').trim(), 'sleep 1000');
  const all = await execOutput(env.runtime, first.id, ['sh', '-c', 'for p in /proc/[0-9]*; do cat $p/comm; done']);
  t.deepEqual(all.stdout.split('\n').filter((name) => name === 'sleep'), ['sleep'], 'sees one sleep, its own');
  await env.runtime.removePodSandbox(sandboxId);
});

test('holder is PID 1 of the pod and sees every container', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  const holder = (await env.runtime.podSandboxStatus(sandboxId)).pid ?? 0;
  const first = await startSleeper(env.runtime, sandboxId);
  const holderStatus = await readFile(`/proc/${holder}/status`, 'utf8');
  t.regex(holderStatus, /^NSpid:\s+\d+\s+1$/m);
  const containerStatus = await readFile(`/proc/${first.pid}/status`, 'utf8');
  const podPid = Number(/^NSpid:\s+\d+\s+(\d+)/m.exec(containerStatus)?.[1]);
  t.true(podPid > 1, 'the container has a PID in the pod namespace');
  await env.runtime.removePodSandbox(sandboxId);
});

test('shareProcessNamespace puts containers in the pod pid namespace', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root, { shareProcessNamespace: true }));
  const holder = (await env.runtime.podSandboxStatus(sandboxId)).pid ?? 0;
  const first = await startSleeper(env.runtime, sandboxId);
  const second = await startSleeper(env.runtime, sandboxId, { command: ['sleep', '999'] });
  t.is(await namespaceInode(first.pid ?? 0, 'pid'), await namespaceInode(holder, 'pid'));
  const all = await execOutput(env.runtime, first.id, ['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done']);
  t.regex(all.stdout, /sleep 999/, 'sees the other container');
  t.regex(all.stdout, /tkinit sandbox/, 'sees the holder');
  t.truthy(second.pid);
  await env.runtime.removePodSandbox(sandboxId);
});
