import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { inspectPodSandbox } from '../../runtime/inspect.js';
import { CniPlugin, findCniBinDir } from '../../runtime/network/cni.js';
import { startHolder } from '../../runtime/sandbox.js';

import { busyboxPath, eventually, execOutput, newSandboxConfig, newTestRuntime, startSleeper, uniqueNames, type TestRuntime } from './fixtures.js';

const run = promisify(execFile);

const envs: TestRuntime[] = [];

const plugins = (['bridge', 'cni'] as const).filter((plugin) => plugin === 'bridge' || findCniBinDir() !== undefined);

for (const plugin of plugins) {
  let env: TestRuntime;
  test.before(async () => {
    env = await newTestRuntime({ networkPlugin: plugin });
    envs.push(env);
  });

  test.serial(`${plugin}: eth0, address and default route`, async (t) => {
    const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
    const sandbox = await env.runtime.podSandboxStatus(sandboxId);
    const prefix = (env.options.podCIDR ?? '').replace(/\.0\/24$/, '.');
    t.true(sandbox.ip?.startsWith(prefix), `${sandbox.ip} is in ${env.options.podCIDR}`);

    const container = await startSleeper(env.runtime, sandboxId);
    const result = await execOutput(env.runtime, container.id, ['sh', '-c', 'ip -o -4 addr show; ip route']);
    t.regex(result.stdout, new RegExp(`eth0\\s+inet ${sandbox.ip?.replaceAll('.', '\\.')}/24`));
    t.regex(result.stdout, /lo\s+inet 127\.0\.0\.1\/8/);
    t.regex(result.stdout, new RegExp(`default via ${prefix.replaceAll('.', '\\.')}1 dev eth0`));
    await env.runtime.removePodSandbox(sandboxId);
  });

  test.serial(`${plugin}: pod IP reachable from node and pods`, async (t) => {
    const first = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
    const second = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
    const firstIp = (await env.runtime.podSandboxStatus(first)).ip ?? '';
    const secondIp = (await env.runtime.podSandboxStatus(second)).ip ?? '';
    t.not(firstIp, secondIp);

    // A TCP server in the first pod replies to the node and to the second pod.
    await startSleeper(env.runtime, first, { command: ['sh', '-c', 'while true; do echo pong | nc -l -p 8080; done'] });
    const client = await startSleeper(env.runtime, second);

    await run(busyboxPath, ['ping', '-c', '1', '-W', '2', firstIp]);
    const fromNode = await retry(() => run(busyboxPath, ['nc', '-w', '2', firstIp, '8080'], { encoding: 'utf8' }).then((output) => output.stdout));
    t.is(fromNode, 'pong\n');
    const fromPod = await retry(async () => (await execOutput(env.runtime, client.id, ['nc', '-w', '2', firstIp, '8080'])).stdout);
    t.is(fromPod, 'pong\n');
    t.is((await execOutput(env.runtime, client.id, ['ping', '-c', '1', '-W', '2', firstIp])).exitCode, 0);

    await env.runtime.removePodSandbox(first);
    await env.runtime.removePodSandbox(second);
  });

  test.serial(`${plugin}: addresses unique and released`, async (t) => {
    const ids = await Promise.all([1, 2, 3].map(() => env.runtime.runPodSandbox(newSandboxConfig(env.root))));
    const sandboxes = await Promise.all(ids.map((id) => inspectPodSandbox(env.runtime, id)));
    t.is(new Set(sandboxes.map((sandbox) => sandbox.ip)).size, 3);
    for (const id of ids) await env.runtime.removePodSandbox(id);
    for (const sandbox of sandboxes) t.false(existsSync(`/sys/class/net/${sandbox.hostVeth}`), `${sandbox.hostVeth} removed`);
  });
}

test.after.always(async () => {
  for (const env of envs) await env.dispose();
});

test('failed CNI ADD kills the holder', async (t) => {
  // A plugin that reports where it ran and then fails, as a CNI error result.
  const binDir = await mkdtemp(join(tmpdir(), 'tinykube-cni-'));
  t.teardown(() => rm(binDir, { recursive: true, force: true }));
  const script = [
    '#!/bin/sh',
    'cat > /dev/null',
    'echo "{\\"code\\": 11, \\"msg\\": \\"plugin netns $(readlink /proc/self/ns/net) target $CNI_NETNS id $CNI_CONTAINERID\\"}"',
    'exit 1',
  ].join('\n');
  await writeFile(join(binDir, 'bridge'), script + '\n', { mode: 0o755 });
  await writeFile(join(binDir, 'host-local'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  const names = uniqueNames();
  const plugin = new CniPlugin({ dataDir: binDir, binDir, bridgeName: names.bridgeName, podCIDR: names.podCIDR, masquerade: false });

  const error = await t.throwsAsync(startHolder({ sandboxId: 'cni-failure', hostname: 'cni-failure', hostNetwork: false, cgroupProcs: [], network: await plugin.prepare('cni-failure') }));
  const match = /plugin netns (\S+) target \/proc\/(\d+)\/ns\/net id cni-failure/.exec(error?.message ?? '');
  t.truthy(match, error?.message);
  t.is(match?.[1], await readlink('/proc/self/ns/net'), 'the plugin runs in the node network namespace');
  const holderPid = Number(match?.[2]);
  t.true(await eventually(async () => !existsSync(`/proc/${holderPid}`), 5_000, `holder ${holderPid} to exit`), 'the holder is gone');
});

/** Retries until the output is non-empty: the server may not listen yet. */
async function retry(attempt: () => Promise<string>): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const output = await attempt().catch(() => '');
    if (output !== '' || Date.now() > deadline) return output;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
