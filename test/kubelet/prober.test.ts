// Probe attempts against loopback servers the test opens, and the failure
// texts that the Unhealthy events carry.

import http from 'node:http';
import net from 'node:net';
import test from 'ava';
import type { Container } from '../../api/types.js';
import type { RuntimeService } from '../../runtime/cri.js';
import { runProbe } from '../../kubelet/prober.js';

const container: Container = { name: 'main', image: 'busybox', ports: [{ name: 'http', containerPort: 1 }] };
// Network probes never reach the runtime.
const runtime = {} as RuntimeService;

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function httpServer(status: number): Promise<{ port: number; close: () => Promise<unknown> }> {
  const server = http.createServer((_request, response) => response.writeHead(status).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('httpGet to closed port is refused', async (t) => {
  const port = await closedPort();
  const result = await runProbe(runtime, { httpGet: { path: '/ready', port } }, { containerId: 'c', podIP: '127.0.0.1', container });
  t.false(result.success);
  t.is(result.output, `Get "http://127.0.0.1:${port}/ready": dial tcp 127.0.0.1:${port}: connect: connection refused`);
});

test('httpGet status codes decide success', async (t) => {
  for (const [status, success] of [[200, true], [302, true], [404, false], [500, false]] as const) {
    const server = await httpServer(status);
    const result = await runProbe(runtime, { httpGet: { path: 'healthz', port: server.port } }, { containerId: 'c', podIP: '127.0.0.1', container });
    await server.close();
    t.is(result.success, success, `status ${status}`);
    if (!success) t.is(result.output, `HTTP probe failed with statuscode: ${status}`);
  }
});

test('tcpSocket to closed port is refused', async (t) => {
  const port = await closedPort();
  const result = await runProbe(runtime, { tcpSocket: { port } }, { containerId: 'c', podIP: '127.0.0.1', container });
  t.false(result.success);
  t.is(result.output, `dial tcp 127.0.0.1:${port}: connect: connection refused`);
});

test('missing named port fails probe', async (t) => {
  const result = await runProbe(runtime, { tcpSocket: { port: 'metrics' } }, { containerId: 'c', podIP: '127.0.0.1', container });
  t.false(result.success);
  t.is(result.output, 'port "metrics" is not a named port of container "main"');
});
