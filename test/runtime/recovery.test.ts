import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createRuntime } from '../../runtime/runtime.js';
import { eventually, execOutput, newSandboxConfig, newTestRuntime, startSleeper, type TestRuntime } from './fixtures.js';

let env: TestRuntime;
test.before(async () => {
  env = await newTestRuntime();
});
test.after.always(async () => {
  await env?.dispose();
});

test('new runtime on the same data dir finds running pods', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  const container = await startSleeper(env.runtime, sandboxId);

  const restarted = await createRuntime(env.options);
  const sandbox = await restarted.podSandboxStatus(sandboxId);
  t.is(sandbox.state, 'SANDBOX_READY');
  const status = await restarted.containerStatus(container.id);
  t.is(status.state, 'CONTAINER_RUNNING');
  t.is(status.pid, container.pid);
  t.is((await execOutput(restarted, container.id, ['true'])).exitCode, 0);
  await restarted.removePodSandbox(sandboxId);
  await restarted.close();
});

test('exit code is recovered after a restart', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  const container = await startSleeper(env.runtime, sandboxId, { command: ['sh', '-c', 'sleep 0.3; exit 9'] });
  // A fresh runtime stands for a kubelet that was down while the container exited.
  const restarted = await createRuntime(env.options);
  const status = await eventually(async () => {
    const current = await restarted.containerStatus(container.id);
    return current.state === 'CONTAINER_EXITED' && current;
  });
  t.is(status.exitCode, 9);
  t.is(status.reason, 'Error');
  await restarted.removePodSandbox(sandboxId);
  await restarted.close();
});

test('a reused PID is not taken for the container', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  const container = await startSleeper(env.runtime, sandboxId);
  // Point the record at this test's own PID, as if the container's PID had been reused by another process.
  const recordPath = join(env.options.dataDir, 'containers', container.id, 'container.json');
  const original = await readFile(recordPath, 'utf8');
  await writeFile(recordPath, JSON.stringify({ ...(JSON.parse(original) as object), pid: process.pid }));

  const restarted = await createRuntime(env.options);
  const status = await restarted.containerStatus(container.id);
  t.not(status.state, 'CONTAINER_RUNNING');
  await writeFile(recordPath, original);
  await restarted.close();
  await env.runtime.removePodSandbox(sandboxId);
});
