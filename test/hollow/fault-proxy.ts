// An HTTP proxy on a free port of 127.0.0.1 that forwards every request to a
// test apiserver, watches included, unless a fault function chosen by the test
// fails the request. It acts as an apiserver that restarts or is overloaded,
// but fails only the requests a test picks.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  /** Arrival time, from Date.now. */
  at: number;
}

/** How to fail a request: close its connection before any response, or respond with this HTTP status code. */
export type Fault = 'reset' | number;

export interface FaultProxy {
  url: string;
  /** Every request received, in order of arrival. */
  readonly requests: ProxiedRequest[];
  /** Returns the fault of a request, or undefined to forward it. */
  fault: ((method: string, path: string) => Fault | undefined) | undefined;
  /** Closes every open connection, watches included, as an apiserver that exits does. */
  cutConnections(): void;
  /** Holds back the events of open watches, as a slow watch would, until resumeWatches(). */
  pauseWatches(): void;
  resumeWatches(): void;
  close(): Promise<void>;
}

/** Headers that apply to one connection only, which a proxy must not pass on. */
const hopByHopHeaders = ['connection', 'keep-alive', 'proxy-connection', 'upgrade'];

function endToEndHeaders(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of hopByHopHeaders) delete copy[name];
  return copy;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = { url: '', requests: [], fault: undefined,
    cutConnections: () => {}, pauseWatches: () => {}, resumeWatches: () => {}, close: async () => {},
  };
  /** Open watches: the apiserver's response and the response to the client it is piped into. */
  const watches = new Map<http.IncomingMessage, http.ServerResponse>();
  let watchesPaused = false;

  const server = http.createServer((request, response) => {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    proxy.requests.push({ method, path, at: Date.now() });
    const fault = proxy.fault?.(method, path);
    if (fault === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: fault, message: `the test proxy failed ${method} ${path} with ${fault}` };
      response.writeHead(fault, { 'content-type': 'application/json' });
      response.end(JSON.stringify(status));
      return;
    }

    // One connection per request keeps the proxy simple, and a test sends few requests.
    const forwarded = http.request({
      host: upstream.hostname, port: upstream.port, method, path, headers: endToEndHeaders(request.headers), agent: false,
    }, (upstreamResponse) => {
      response.writeHead(upstreamResponse.statusCode ?? 502, endToEndHeaders(upstreamResponse.headers));
      if (!new URL(path, proxy.url).searchParams.has('watch')) {
        upstreamResponse.pipe(response);
        return;
      }
      watches.set(upstreamResponse, response);
      upstreamResponse.on('close', () => watches.delete(upstreamResponse));
      if (watchesPaused) upstreamResponse.pause();
      else upstreamResponse.pipe(response);
    });
    forwarded.on('error', () => response.destroy());
    // A watch ends when its client goes, so the upstream request must end with it.
    response.on('close', () => {
      if (!response.writableFinished) forwarded.destroy();
    });
    request.pipe(forwarded);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.cutConnections = () => server.closeAllConnections();
  proxy.pauseWatches = () => {
    watchesPaused = true;
    for (const [upstreamResponse, response] of watches) {
      upstreamResponse.unpipe(response);
      upstreamResponse.pause();
    }
  };
  proxy.resumeWatches = () => {
    watchesPaused = false;
    for (const [upstreamResponse, response] of watches) upstreamResponse.pipe(response);
  };
  proxy.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
