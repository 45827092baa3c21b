// Logs and exec on the real runtime, through the apiserver's proxy and the real kubectl.

import { execFile, spawn } from 'node:child_process';
import test from 'ava';
import { pods } from '../../api/resources.js';
import type { Pod } from '../../api/types.js';
import { newContainer, newPod, waitFor, type Harness } from './fixtures.js';
import { isRoot, startRealHarness } from './real-runtime.js';

const realTest = isRoot ? test.serial : test.skip;
const kubectlPath = '/usr/bin/kubectl';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(harness: Harness, args: string[], timeoutMs = 20_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(kubectlPath, ['--kubeconfig', harness.api.kubeconfigPath, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function runningPod(harness: Harness, name: string, command: string[]): Promise<Pod> {
  await harness.api.client.create(pods, newPod(name, harness.nodeName, { containers: [newContainer('main', { image: 'busybox', imagePullPolicy: 'Never', command })] }));
  return waitFor(`${name} Running`, async () => {
    const pod = await harness.getPod(name);
    return pod.status?.phase === 'Running' ? pod : undefined;
  }, 20_000);
}

let harness: Harness;
test.before(async () => {
  if (isRoot) harness = await startRealHarness();
});
test.after.always(async () => {
  await harness?.close();
});

realTest('kubectl logs shows output, tail and timestamps', async (t) => {
  await runningPod(harness, 'talker', ['sh', '-c', 'echo one; echo two; echo three; sleep 1000']);
  const all = await waitFor('three lines', async () => {
    const result = await kubectl(harness, ['logs', 'talker']);
    return result.stdout.split('\n').length >= 4 ? result : undefined;
  });
  t.is(all.stdout, 'one\ntwo\nthree\n');
  t.is((await kubectl(harness, ['logs', 'talker', '--tail=1'])).stdout, 'three\n');
  const stamped = (await kubectl(harness, ['logs', 'talker', '--timestamps'])).stdout.split('\n')[0] ?? '';
  t.regex(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z one$/);
  t.is((await kubectl(harness, ['logs', 'talker', '--limit-bytes=6'])).stdout, 'one\ntw');
});

realTest('kubectl logs -f follows new lines', async (t) => {
  await runningPod(harness, 'ticker', ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
  const child = spawn(kubectlPath, ['--kubeconfig', harness.api.kubeconfigPath, 'logs', '-f', 'ticker']);
  t.teardown(() => child.kill());
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor('five ticks followed', () => output.includes('tick 5'), 15_000);
  t.regex(output, /^tick 0\ntick 1\n/);
});

realTest('kubectl logs --previous shows the last instance', async (t) => {
  await harness.api.client.create(pods, newPod('phoenix', harness.nodeName, {
    containers: [newContainer('main', { image: 'busybox', imagePullPolicy: 'Never', command: ['sh', '-c', 'echo life at $(date +%s); sleep 0.3; exit 1'] })],
  }));
  await waitFor('a restart', async () => ((await harness.getPod('phoenix')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 20_000);
  const previous = await waitFor('previous log', async () => {
    const result = await kubectl(harness, ['logs', 'phoenix', '--previous']);
    return result.code === 0 && result.stdout.startsWith('life at') ? result : undefined;
  });
  t.regex(previous.stdout, /^life at \d+\n$/);
});

realTest('kubectl logs errors print the kubelet reason', async (t) => {
  await runningPod(harness, 'steady', ['sleep', '1000']);
  const previous = await kubectl(harness, ['logs', 'steady', '--previous']);
  t.is(previous.code, 1);
  t.is(previous.stderr.trim(), 'Error from server (BadRequest): previous terminated container "main" in pod "steady" not found');

  await harness.api.client.create(pods, newPod('imageless', harness.nodeName, { containers: [newContainer('main', { image: 'nowhere:1', imagePullPolicy: 'Never' })] }));
  await waitFor('ErrImageNeverPull', async () => (await harness.getPod('imageless')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImageNeverPull', 20_000);
  const waiting = await kubectl(harness, ['logs', '-f', 'imageless']);
  t.is(waiting.code, 1);
  t.is(waiting.stderr.trim(), 'Error from server (BadRequest): container "main" in pod "imageless" is waiting to start: ErrImageNeverPull');
});

realTest('kubectl exec returns output and exit codes', async (t) => {
  await runningPod(harness, 'shell', ['sleep', '1000']);
  const ok = await kubectl(harness, ['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2']);
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, 'out\n');
  t.is(ok.stderr, 'err\n');

  const failed = await kubectl(harness, ['exec', 'shell', '--', 'sh', '-c', 'exit 3']);
  t.is(failed.code, 3);
  t.regex(failed.stderr, /command terminated with exit code 3/);

  const piped = await new Promise<Result>((resolve) => {
    const child = execFile(kubectlPath, ['--kubeconfig', harness.api.kubeconfigPath, 'exec', '-i', 'shell', '--', 'sh', '-c', 'tr a-z A-Z'],
      { timeout: 20_000 }, (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }));
    child.stdin?.end('hello stdin\n');
  });
  t.is(piped.stdout, 'HELLO STDIN\n', piped.stderr);
});

realTest('kubectl exec -it runs an interactive shell with a TTY', async (t) => {
  await runningPod(harness, 'tty', ['sleep', '1000']);
  // script(1) gives kubectl a pseudo-terminal, so it requests a TTY and sends its size.
  const inner = `stty cols 91 rows 33; ${kubectlPath} --kubeconfig ${harness.api.kubeconfigPath} exec -it tty -- sh`;
  const child = spawn('script', ['-qec', inner, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => child.kill());
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // busybox sh prints "/ # " as root's prompt once the session is up.
  await waitFor('the shell prompt', () => output.includes('# '), 15_000);
  child.stdin.write('tty; stty size; echo marker-$((6*7))\r');
  await waitFor('the shell to answer', () => output.includes('marker-42'), 15_000);
  t.regex(output, /\/dev\/pts\/\d+/);
  t.regex(output, /33 91/);
  child.stdin.write('exit 5\r');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(code, 5);
});
