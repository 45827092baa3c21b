// tkinit through the runtime's long-lived `tkinit serve`: outputs, input,
// exit codes, early responses at the first line, and many requests at once.

import test from 'ava';

import { NativeError, nativeArguments, runNative } from '../../runtime/native.js';
import { isProcessAlive, pollUntil, processStartTime } from '../../runtime/proc.js';

// netns into this process's own network namespace runs a host command and changes nothing.
const inOwnNetns = (command: string[]) => [...nativeArguments({ pid: process.pid }), '--', ...command];

test('runNative returns stdout, stderr and exit code', async (t) => {
  const run = await runNative('netns', inOwnNetns(['sh', '-c', 'echo out; echo err >&2']));
  t.is(run.stdout, 'out\n');
  t.is(run.stderr, 'err\n');
  t.is(run.exitCode, 0);
  t.true(Number.isInteger(run.pid));
});

test('runNative passes input on stdin', async (t) => {
  const run = await runNative('netns', inOwnNetns(['cat']), { input: 'some input\n' });
  t.is(run.stdout, 'some input\n');
});

test('runNative rejects a failure with its message', async (t) => {
  const error = await t.throwsAsync(runNative('no-such-mode', []), { instanceOf: NativeError });
  t.is(error?.exitCode, 125);
  t.regex(error?.message ?? '', /unknown mode `no-such-mode`/);

  const failed = await t.throwsAsync(runNative('netns', inOwnNetns(['sh', '-c', 'echo partial; exit 3'])), { instanceOf: NativeError });
  t.is(failed?.exitCode, 3);
  t.is(failed?.stdout, 'partial\n');
});

test('runNative answers at the first line', async (t) => {
  const run = await runNative('netns', inOwnNetns(['sh', '-c', 'echo first; exec sleep 30']), { untilFirstLine: true });
  t.is(run.stdout, 'first\n');
  t.is(run.exitCode, null);
  const pid = run.pid ?? 0;
  const startTime = await processStartTime(pid);
  t.not(startTime, undefined, 'the process still runs');
  process.kill(pid, 'SIGKILL');
  t.true(await pollUntil(async () => !(await isProcessAlive(pid, startTime ?? 0)), 5000), 'the process is gone');
});

test('runNative serves many requests at once', async (t) => {
  const runs = await Promise.all(Array.from({ length: 30 }, (_, index) => runNative('netns', inOwnNetns(['echo', String(index)]))));
  t.deepEqual(runs.map((run) => run.stdout), Array.from({ length: 30 }, (_, index) => `${index}\n`));
});
