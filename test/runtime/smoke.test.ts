import test from 'ava';
import { readFile } from 'node:fs/promises';

import { eventually, newContainerConfig, newSandboxConfig, newTestRuntime } from './fixtures.js';

test('container runs a command and logs its output', async (t) => {
  const env = await newTestRuntime();
  t.teardown(() => env.dispose());
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  const containerId = await env.runtime.createContainer(sandboxId, newContainerConfig({ command: ['sh', '-c', 'echo hello; hostname'] }));
  await env.runtime.startContainer(containerId);
  const status = await eventually(async () => {
    const current = await env.runtime.containerStatus(containerId);
    return current.state === 'CONTAINER_EXITED' && current;
  });
  t.is(status.exitCode, 0);
  t.is(status.reason, 'Completed');
  const text = await readFile(status.logPath, 'utf8');
  t.regex(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello$/m);
});
