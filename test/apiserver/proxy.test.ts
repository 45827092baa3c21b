// pods/log and pods/exec go through the apiserver to the pod's kubelet. A
// stand-in kubelet on 127.0.0.1 serves /containerLogs and the /exec
// WebSocket, so the forwarding is tested without a real node.

import test from 'ava';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';
import { ApiError } from '../../api/client.js';
import { nodes, pods } from '../../api/resources.js';
import type { Node, Pod } from '../../api/types.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';

const run = promisify(execFile);

interface FakeKubelet {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

/** Starts a kubelet stand-in whose logs echo their path and whose exec sends "hi" on stdout and a Success status. */
async function startFakeKubelet(): Promise<FakeKubelet> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'text/plain' });
    if (request.url?.includes('follow=true')) {
      // A followed log keeps streaming: the first line now, the second a little later.
      response.write(`log line from ${request.url}\n`);
      setTimeout(() => response.end('second line\n'), 300);
      return;
    }
    response.end(`log line from ${request.url}\n`);
  });
  const sockets = new WebSocketServer({
    server,
    handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false),
  });
  sockets.on('connection', (socket, request) => {
    requests.push(`ws ${request.url ?? ''}`);
    socket.send(Buffer.concat([Buffer.from([1]), Buffer.from('hi\n')]));
    socket.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }))]));
    socket.close(1000);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let server: TestApiserver;
let kubelet: FakeKubelet;

test.before(async () => {
  server = await startTestApiserver();
  kubelet = await startFakeKubelet();
  const node = await server.client.create<Node>(nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-proxy' }, spec: {} });
  await server.client.updateStatus(nodes, {
    ...node,
    status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } },
  });
  const pod = (name: string, containers: string[], nodeName?: string, annotations?: Record<string, string>): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', annotations },
    spec: { nodeName, containers: containers.map((container) => ({ name: container, image: 'busybox' })) },
  });
  await server.client.create(pods, pod('single', ['main'], 'node-proxy'));
  await server.client.create(pods, pod('pair', ['a', 'b'], 'node-proxy'));
  await server.client.create(pods, pod('annotated', ['a', 'b'], 'node-proxy', { 'kubectl.kubernetes.io/default-container': 'b' }));
  await server.client.create(pods, pod('unscheduled', ['main']));
});

test.after.always(async () => {
  await server?.close();
  await kubelet?.close();
});

/** Requests a pod's logs through the typed client, which throws ApiError for a Status response. */
function requestLogs(name: string): Promise<unknown> {
  return server.client.request('GET', `/api/v1/namespaces/default/pods/${name}/log`);
}

async function rawGet(path: string): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}${path}`, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ code: response.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

test('logs of the only container', async (t) => {
  const response = await rawGet('/api/v1/namespaces/default/pods/single/log?follow=true&tailLines=5');
  t.is(response.code, 200);
  t.is(response.text, 'log line from /containerLogs/default/single/main?follow=true&tailLines=5\nsecond line\n');
});

test('logs pick the container from the query or the annotation', async (t) => {
  t.regex((await rawGet('/api/v1/namespaces/default/pods/pair/log?container=b')).text, /containerLogs\/default\/pair\/b$/m);
  t.regex((await rawGet('/api/v1/namespaces/default/pods/annotated/log')).text, /containerLogs\/default\/annotated\/b$/m);
});

test('logs without a container choice are 400', async (t) => {
  const error = await t.throwsAsync<ApiError>(requestLogs('pair'));
  t.is(error?.code, 400);
  t.regex(error?.message ?? '', /a container name must be specified for pod pair, choose one of: \[a b\]/);
});

test('logs of a pod without a node are 400', async (t) => {
  const error = await t.throwsAsync<ApiError>(requestLogs('unscheduled'));
  t.is(error?.code, 400);
  t.regex(error?.message ?? '', /pod unscheduled does not have a host assigned/);
});

test('kubectl logs goes through the apiserver', async (t) => {
  const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', server.kubeconfigPath, 'logs', 'pair', '-c', 'a'], { timeout: 30_000 });
  t.regex(stdout, /containerLogs\/default\/pair\/a/);
});

test('exec upgrades to the kubelet with the negotiated protocol', async (t) => {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/single/exec?command=echo&command=hi&stdout=true`,
    ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
  const frames: Buffer[] = [];
  socket.on('message', (data: Buffer) => frames.push(data));
  await new Promise<void>((resolve, reject) => {
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  t.is(socket.protocol, 'v5.channel.k8s.io');
  t.is(frames[0]?.subarray(1).toString(), 'hi\n');
  t.true(kubelet.requests.some((request) => request.startsWith('ws /exec/default/single/main?command=echo&command=hi')));
});

test('kubectl exec runs through the apiserver', async (t) => {
  const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', server.kubeconfigPath, 'exec', 'single', '--', 'echo', 'hi'], { timeout: 30_000 });
  t.is(stdout, 'hi\n');
});

test('exec of a pod without a node is refused', async (t) => {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/unscheduled/exec?command=true`, ['v5.channel.k8s.io']);
  const status = await new Promise<number>((resolve) => {
    socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.on('error', () => resolve(-1));
  });
  t.is(status, 400);
});
