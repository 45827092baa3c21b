import test from 'ava';
import { PassThrough } from 'node:stream';

import { execOutput, newSandboxConfig, newTestRuntime, startSleeper, type TestRuntime } from './fixtures.js';

let env: TestRuntime;
let containerId: string;
test.before(async () => {
  env = await newTestRuntime();
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  containerId = (await startSleeper(env.runtime, sandboxId, { env: [{ name: 'FROM_SPEC', value: 'spec' }] })).id;
});
test.after.always(async () => {
  await env?.dispose();
});

test('exec returns the exit code', async (t) => {
  t.is((await execOutput(env.runtime, containerId, ['true'])).exitCode, 0);
  t.is((await execOutput(env.runtime, containerId, ['sh', '-c', 'exit 42'])).exitCode, 42);
  t.is((await execOutput(env.runtime, containerId, ['sh', '-c', 'kill -9 $$'])).exitCode, 137);
});

test('exec of a missing command exits 127', async (t) => {
  const result = await execOutput(env.runtime, containerId, ['/no/such/command']);
  t.is(result.exitCode, 127);
  t.regex(result.stderr, /no such file/i);
});

test('exec passes stdin, stdout, stderr and env', async (t) => {
  const result = await execOutput(env.runtime, containerId, ['sh', '-c', 'cat; echo "$FROM_SPEC" >&2'], 'piped input\n');
  t.is(result.stdout, 'piped input\n');
  t.is(result.stderr, 'spec\n');
});

test('exec joins the container pid namespace', async (t) => {
  const result = await execOutput(env.runtime, containerId, ['cat', '/proc/1/comm']);
  t.is(result.stdout, 'sleep\n');
});

test('exec in a stopped container is rejected', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
  const container = await startSleeper(env.runtime, sandboxId);
  await env.runtime.stopContainer(container.id, 0);
  await t.throwsAsync(execOutput(env.runtime, container.id, ['true']), { message: /not running/ });
  await env.runtime.removePodSandbox(sandboxId);
});

test('TTY exec allocates a terminal and applies resizes', async (t) => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let output = '';
  stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let resize: ((size: { columns: number; rows: number }) => void) | undefined;
  const session = env.runtime.exec(containerId, {
    command: ['sh', '-c', 'tty; read line; stty size; exit 7'],
    tty: true,
    stdin,
    stdout,
    onResize: (listener) => (resize = listener),
  });
  // Wait for the first output before resizing so the shell is reading its line.
  const deadline = Date.now() + 10_000;
  while (!output.includes('/dev/pts/') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  // The relay applies a resize before input that arrives with or after it.
  resize?.({ columns: 132, rows: 43 });
  stdin.write('go\n');
  const exitCode = await session;
  stdin.end();
  t.is(exitCode, 7);
  t.regex(output, /^\/dev\/pts\/\d+\r?$/m);
  t.regex(output, /^43 132\r?$/m);
});

test('exec timeout kills the command', async (t) => {
  const started = Date.now();
  await t.throwsAsync(env.runtime.exec(containerId, { command: ['sleep', '30'], timeoutSeconds: 1 }), { message: /timed out after 1 s/ });
  t.true(Date.now() - started < 10_000);
  const left = await execOutput(env.runtime, containerId, ['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done']);
  // Whole lines only: other tests of this file share the container and run `sleep 303`.
  t.notRegex(left.stdout, /^sleep 30 $/m);
});

test('exec abort kills the process group', async (t) => {
  const controller = new AbortController();
  const stdout = new PassThrough();
  let output = '';
  stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const session = env.runtime.exec(containerId, { command: ['sh', '-c', 'sleep 301 & echo started; sleep 302'], stdout, signal: controller.signal });

  const deadline = Date.now() + 10_000;
  while (!output.includes('started') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.true(output.includes('started'), 'the command started');
  controller.abort(new Error('client gone'));
  await t.throwsAsync(session, { message: /was cancelled/ });

  // The background sleep shares the shell's process group, so the abort kills it too.
  const listing = ['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done'];
  let left = '';
  const gone = Date.now() + 5_000;
  do left = (await execOutput(env.runtime, containerId, listing)).stdout;
  while (/sleep 30[12]/.test(left) && Date.now() < gone);
  t.notRegex(left, /sleep 301/);
  t.notRegex(left, /sleep 302/);
});

test('exec with an aborted signal kills at once', async (t) => {
  const controller = new AbortController();
  controller.abort();
  await t.throwsAsync(env.runtime.exec(containerId, { command: ['sleep', '303'], signal: controller.signal }), { message: /was cancelled/ });
});
