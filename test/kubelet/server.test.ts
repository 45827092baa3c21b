// The kubelet API served directly, with the in-memory runtime: health, logs
// and the exec stream protocols as a WebSocket client sees them.

import http from 'node:http';
import test from 'ava';
import WebSocket from 'ws';
import { pods } from '../../api/resources.js';
import type { Pod, Status } from '../../api/types.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { newContainer, newPod, startHarness, waitFor, type Harness } from './fixtures.js';

function get(harness: Harness, path: string): Promise<{ status: number; body: string; type: string }> {
  return getUrl(`http://127.0.0.1:${harness.kubelet.port}${path}`);
}

function getUrl(url: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, type: response.headers['content-type'] ?? '' }));
    }).on('error', reject);
  });
}

interface Session {
  protocol: string;
  channels: Map<number, string>;
  status: Status | undefined;
}

/** Runs one exec session; send is called once the socket opens. */
function execSession(harness: Harness, query: string, protocols: string[], send?: (socket: WebSocket) => void): Promise<Session> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${harness.kubelet.port}/exec/default/runner/main?${query}`, protocols);
    const session: Session = { protocol: '', channels: new Map(), status: undefined };
    socket.on('open', () => {
      session.protocol = socket.protocol;
      send?.(socket);
    });
    socket.on('message', (data: Buffer) => {
      const channel = data[0] ?? -1;
      const text = data.subarray(1).toString('utf8');
      if (channel === 3) session.status = JSON.parse(text) as Status;
      else session.channels.set(channel, (session.channels.get(channel) ?? '') + text);
    });
    socket.on('close', () => resolve(session));
    socket.on('error', reject);
  });
}

async function runningPod(harness: Harness): Promise<Pod> {
  await harness.api.client.create(pods, newPod('runner', harness.nodeName, { containers: [newContainer('main', { command: ['log', 'hello', 'log', 'world'] })] }));
  return waitFor('runner Running', async () => {
    const pod = await harness.getPod('runner');
    return pod.status?.phase === 'Running' ? pod : undefined;
  });
}

test('healthz answers ok', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const response = await get(harness, '/healthz');
  t.is(response.status, 200);
  t.is(response.body, 'ok');
});

test('containerLogs serves text, tail and errors', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await runningPod(harness);
  const all = await get(harness, '/containerLogs/default/runner/main');
  t.is(all.status, 200);
  t.regex(all.type, /^text\/plain/);
  t.is(all.body, 'hello\nworld\n');
  t.is((await get(harness, '/containerLogs/default/runner/main?tailLines=1')).body, 'world\n');
});

test('containerLogs errors are JSON Status objects', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await runningPod(harness);
  const cases = [
    { path: '/containerLogs/default/runner/main?previous=true', code: 400, reason: 'BadRequest', message: 'previous terminated container "main" in pod "runner" not found' },
    { path: '/containerLogs/default/runner/main?tailLines=abc', code: 400, reason: 'BadRequest', message: 'invalid tailLines "abc": must be an integer' },
    { path: '/containerLogs/default/nobody/main', code: 404, reason: 'NotFound', message: `pod "nobody" in namespace "default" not found on node ${harness.nodeName}` },
    { path: '/containerLogs/default/runner/other', code: 400, reason: 'BadRequest', message: 'container other is not valid for pod runner' },
    { path: '/exec/default/runner/main?command=true', code: 400, reason: 'BadRequest', message: 'exec needs a WebSocket upgrade with the v5.channel.k8s.io or v4.channel.k8s.io subprotocol' },
    { path: '/nowhere', code: 404, reason: 'NotFound', message: '/nowhere not found' },
  ];
  for (const entry of cases) {
    const response = await get(harness, entry.path);
    t.is(response.status, entry.code, entry.path);
    t.is(response.type, 'application/json', entry.path);
    t.deepEqual(JSON.parse(response.body), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: entry.message, reason: entry.reason, code: entry.code,
    }, entry.path);
  }
});

test('logs of a waiting container name its reason through the apiserver', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await harness.api.client.create(pods, newPod('absent', harness.nodeName, { containers: [newContainer('main', { image: 'nowhere:1', imagePullPolicy: 'Never' })] }));
  await waitFor('ErrImageNeverPull', async () => (await harness.getPod('absent')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImageNeverPull');

  // The apiserver proxies pods/log to the kubelet and passes its Status on, which kubectl prints.
  const response = await getUrl(`${harness.api.url}/api/v1/namespaces/default/pods/absent/log?follow=true`);
  t.is(response.status, 400);
  t.regex(response.type, /^application\/json/);
  const status = JSON.parse(response.body) as Status;
  t.is(status.reason, 'BadRequest');
  t.is(status.message, 'container "main" in pod "absent" is waiting to start: ErrImageNeverPull');
});

test('exec upgrade with no stream protocol is rejected with a Status', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const response = await new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    const request = http.get({
      host: '127.0.0.1', port: harness.kubelet.port, path: '/exec/default/runner/main?command=true&stdout=true',
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'base64.channel.k8s.io' },
    }, (answer) => {
      let body = '';
      answer.on('data', (chunk: Buffer) => (body += chunk.toString()));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 0, body, type: answer.headers['content-type'] ?? '' }));
    });
    request.on('error', reject);
  });
  t.is(response.status, 400);
  t.is(response.type, 'application/json');
  const status = JSON.parse(response.body) as Status;
  t.is(status.reason, 'BadRequest');
  t.regex(status.message ?? '', /^unsupported stream protocols \["base64\.channel\.k8s\.io"\]/);
});

test('exec over v5 passes stdin and reports success', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await runningPod(harness);
  const session = await execSession(harness, 'command=cat&stdin=true&stdout=true&stderr=true', ['v5.channel.k8s.io', 'v4.channel.k8s.io'], (socket) => {
    socket.send(Buffer.concat([Buffer.of(0), Buffer.from('ping\n')]));
    socket.send(Buffer.of(255, 0));
  });
  t.is(session.protocol, 'v5.channel.k8s.io');
  t.is(session.channels.get(1), 'ping\n');
  t.deepEqual(session.status, { metadata: {}, status: 'Success' });
});

test('exec over v4 reports a non-zero exit code', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await runningPod(harness);
  const session = await execSession(harness, 'command=exit&command=3&stdout=true&stderr=true', ['v4.channel.k8s.io']);
  t.is(session.protocol, 'v4.channel.k8s.io');
  t.is(session.status?.reason, 'NonZeroExitCode');
  t.deepEqual(session.status?.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
});

test('exec in an unknown pod fails on the error channel', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const session = await execSession(harness, 'command=true&stdout=true', ['v5.channel.k8s.io']);
  t.is(session.status?.status, 'Failure');
  t.is(session.status?.reason, 'NotFound');
  t.regex(session.status?.message ?? '', /pod "runner" in namespace "default" not found/);
});

test('exec without a stream protocol is rejected', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const error = await t.throwsAsync(execSession(harness, 'command=true&stdout=true', ['base64.channel.k8s.io']));
  t.regex(error?.message ?? '', /400/);
});

test('exec resize reaches the runtime', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const runtime = harness.runtime as FakeRuntime;
  const sizes: { columns: number; rows: number }[] = [];
  runtime.onExec = (_id, options) => new Promise((resolve) => {
    options.onResize?.((size) => {
      sizes.push(size);
      if (sizes.length === 2) resolve(0);
    });
  });
  await runningPod(harness);
  const session = await execSession(harness, 'command=sh&stdin=true&stdout=true&tty=true', ['v5.channel.k8s.io'], (socket) => {
    socket.send(Buffer.concat([Buffer.of(4), Buffer.from('{"Width":80,"Height":24}')]));
    socket.send(Buffer.concat([Buffer.of(4), Buffer.from('{"Width":120,"Height":40}')]));
  });
  t.deepEqual(sizes, [{ columns: 80, rows: 24 }, { columns: 120, rows: 40 }]);
  t.is(session.status?.status, 'Success');
});

test('exec client disconnect cancels the command', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const runtime = harness.runtime as FakeRuntime;
  let started = false;
  let cancelled = false;
  runtime.onExec = (_id, options) => new Promise((_resolve, reject) => {
    started = true;
    options.signal?.addEventListener('abort', () => {
      cancelled = true;
      reject(new Error('cancelled'));
    }, { once: true });
  });
  await runningPod(harness);

  const socket = new WebSocket(`ws://127.0.0.1:${harness.kubelet.port}/exec/default/runner/main?command=block&stdout=true`, ['v5.channel.k8s.io']);
  await new Promise((resolve, reject) => socket.on('open', resolve).on('error', reject));
  await waitFor('exec started', async () => started || undefined);
  socket.terminate();

  t.true(await waitFor('exec cancelled', async () => cancelled || undefined));
});
