import test from 'ava';
import { readFile } from 'node:fs/promises';

import type { LogLine } from '../../runtime/cri.js';
import { logFiles } from '../../runtime/logs.js';
import { eventually, newSandboxConfig, newTestRuntime, runToCompletion, startSleeper, type TestRuntime } from './fixtures.js';

let env: TestRuntime;
let sandboxId: string;
test.before(async () => {
  env = await newTestRuntime({ logRotation: { maxBytes: 4096, maxFiles: 3 } });
  sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
});
test.after.always(async () => {
  await env?.dispose();
});

const criLine = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) (F|P) .*$/;

test('log file uses the CRI format for both streams', async (t) => {
  const { status } = await runToCompletion(env.runtime, sandboxId, { command: ['sh', '-c', 'echo out; echo err >&2; printf "no newline"'] });
  const lines = (await readFile(status.logPath, 'utf8')).split('\n').filter(Boolean);
  for (const line of lines) t.regex(line, criLine);
  t.deepEqual(lines.map((line) => line.replace(/^\S+ /, '')).sort(), ['stderr F err', 'stdout F no newline', 'stdout F out'].sort());
});

test('long lines are split into partial records', async (t) => {
  const { status } = await runToCompletion(env.runtime, sandboxId, { command: ['sh', '-c', 'head -c 20000 /dev/zero | tr "\\0" x; echo'] });
  // Read through readLogs: a 16 KiB record exceeds this runtime's 4 KiB rotation size, so the records span files.
  const records: LogLine[] = [];
  await env.runtime.readLogs(status.id, {}, (line) => records.push(line));
  t.is(records[0]?.tag, 'P');
  t.is(records.at(-1)?.tag, 'F');
  t.is(records.map((record) => record?.content ?? '').join('').length, 20000);
});

test('log rotates by size and stays readable', async (t) => {
  const { status, stdout } = await runToCompletion(env.runtime, sandboxId, { command: ['sh', '-c', 'i=0; while [ $i -lt 400 ]; do echo "line $i"; i=$((i+1)); done'] });
  const files = await logFiles(status.logPath);
  t.is(files.length, 3, 'current file and two rotated ones');
  for (const file of files) t.true((await readFile(file)).length <= 4096, `${file} within the size limit`);
  const kept = stdout.trim().split('\n');
  t.is(kept.at(-1), 'line 399');
  t.true(kept.length < 400, 'the oldest lines were rotated away');
});

test('readLogs honours tail and since', async (t) => {
  const { status } = await runToCompletion(env.runtime, sandboxId, { command: ['sh', '-c', 'echo one; echo two; echo three'] });
  const tail: LogLine[] = [];
  await env.runtime.readLogs(status.id, { tailLines: 2 }, (line) => tail.push(line));
  t.deepEqual(tail.map((line) => line.content), ['two', 'three']);
  const future: LogLine[] = [];
  await env.runtime.readLogs(status.id, { sinceTime: Date.now() + 60_000 }, (line) => future.push(line));
  t.deepEqual(future, []);
  const limited: LogLine[] = [];
  await env.runtime.readLogs(status.id, { limitBytes: 6 }, (line) => limited.push(line));
  t.deepEqual(limited.map((line) => line.content), ['one', 'tw']);
});

test('readLogs follows a running container until it exits', async (t) => {
  const container = await startSleeper(env.runtime, sandboxId, { command: ['sh', '-c', 'echo first; sleep 0.5; echo second; sleep 0.3'] });
  const lines: string[] = [];
  await env.runtime.readLogs(container.id, { follow: true }, (line) => lines.push(line.content));
  t.deepEqual(lines, ['first', 'second']);
  const status = await eventually(async () => {
    const current = await env.runtime.containerStatus(container.id);
    return current.state === 'CONTAINER_EXITED' && current;
  });
  t.is(status.exitCode, 0);
});

test('readLogs follow stops on abort', async (t) => {
  const container = await startSleeper(env.runtime, sandboxId, { command: ['sh', '-c', 'echo up; sleep 1000'] });
  const controller = new AbortController();
  const lines: string[] = [];
  const reading = env.runtime.readLogs(container.id, { follow: true, signal: controller.signal }, (line) => {
    lines.push(line.content);
    controller.abort();
  });
  await reading;
  t.deepEqual(lines, ['up']);
  await env.runtime.stopContainer(container.id, 0);
});
