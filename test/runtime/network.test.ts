import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

import { inspectPodSandbox } from '../../runtime/inspect.js';
import { findCniBinDir } from '../../runtime/network/cni.js';

import { busyboxPath, execOutput, newSandboxConfig, newTestRuntime, startSleeper, type TestRuntime } from './fixtures.js';

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

/** Retries until the output is non-empty: the server may not listen yet. */
async function retry(attempt: () => Promise<string>): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const output = await attempt().catch(() => '');
    if (output !== '' || Date.now() > deadline) return output;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
