// Runs one probe attempt, exec, httpGet or tcpSocket, as the kubelet's prober
// does: exec succeeds on exit code 0, httpGet on a status from 200 to 399, and
// tcpSocket when a connection opens. Network probes target the pod IP.

import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import type { ReadonlyDeep } from '../api/informer.js';
import type { Container, Probe } from '../api/types.js';
import type { RuntimeService } from '../runtime/cri.js';
import { errorMessage } from './errors.js';

export interface ProbeResult {
  success: boolean;
  /** Failure detail, as the Unhealthy event shows it. */
  output: string;
}

export interface ProbeTarget {
  containerId: string;
  podIP: string;
  container: ReadonlyDeep<Container>;
}

const maxOutputBytes = 10 * 1024;

export async function runProbe(runtime: RuntimeService, probe: ReadonlyDeep<Probe>, target: ProbeTarget): Promise<ProbeResult> {
  try {
    return await runHandler(runtime, probe, target);
  } catch (error) {
    return { success: false, output: errorMessage(error) };
  }
}

async function runHandler(runtime: RuntimeService, probe: ReadonlyDeep<Probe>, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) return execProbe(runtime, target.containerId, [...(probe.exec.command ?? [])], probe.timeoutSeconds ?? 1);
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, target.container);
    const host = probe.httpGet.host || target.podIP;
    const headers = Object.fromEntries((probe.httpGet.httpHeaders ?? []).map((header) => [header.name, header.value]));
    return httpProbe(host, port, probe.httpGet.path ?? '/', headers, timeoutMs);
  }
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket.host || target.podIP, resolvePort(probe.tcpSocket.port, target.container), timeoutMs);
  return { success: false, output: 'probe has no handler: set exec, httpGet or tcpSocket' };
}

/** Resolves a port number or a named container port. */
export function resolvePort(port: number | string, container: ReadonlyDeep<Container>): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((entry) => entry.name === port);
  if (named === undefined) throw new Error(`port "${port}" is not a named port of container "${container.name}"`);
  return named.containerPort;
}

async function execProbe(runtime: RuntimeService, containerId: string, command: string[], timeoutSeconds: number): Promise<ProbeResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (size < maxOutputBytes) chunks.push(chunk);
      size += chunk.length;
      callback();
    },
  });
  try {
    const exitCode = await runtime.exec(containerId, { command, stdout: collect, stderr: collect, timeoutSeconds });
    const output = Buffer.concat(chunks).toString('utf8').slice(0, maxOutputBytes);
    return { success: exitCode === 0, output: exitCode === 0 ? output : output || `command ${JSON.stringify(command)} exited with ${exitCode}` };
  } catch (error) {
    return { success: false, output: `command ${JSON.stringify(command)} failed: ${errorMessage(error)}` };
  }
}

function httpProbe(host: string, port: number, path: string, headers: Record<string, string>, timeoutMs: number): Promise<ProbeResult> {
  const url = `http://${joinHostPort(host, port)}${path.startsWith('/') ? path : `/${path}`}`;
  return new Promise((resolve) => {
    const request = http.get(url, { headers: { 'user-agent': 'kube-probe/1.32', ...headers }, timeout: timeoutMs, agent: false }, (response) => {
      const code = response.statusCode ?? 0;
      response.resume();
      if (code >= 200 && code < 400) resolve({ success: true, output: '' });
      else resolve({ success: false, output: `HTTP probe failed with statuscode: ${code}` });
    });
    let timedOut = false;
    request.on('timeout', () => {
      timedOut = true;
      request.destroy(new Error('timeout'));
    });
    request.on('error', (error) => {
      const reason = timedOut ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' : dialError(host, port, error);
      resolve({ success: false, output: `Get "${url}": ${reason}` });
    });
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ success: true, output: '' });
    });
    socket.once('timeout', () => socket.destroy(new Error('i/o timeout')));
    socket.once('error', (error) => resolve({ success: false, output: dialError(host, port, error) }));
  });
}

// Go's dialer text for each errno, so that probe failures read as the kubelet's do.
const connectErrors: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
};

/** Describes a failed connection as Go's dialer does: `dial tcp HOST:PORT: connect: connection refused`. */
export function dialError(host: string, port: number, error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === undefined ? error.message : connectErrors[code] ?? error.message;
  return `dial tcp ${joinHostPort(host, port)}: ${reason}`;
}

/** Joins a host and a port as Go's net.JoinHostPort does, with brackets around an IPv6 address. */
function joinHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
