// The kubelet's own HTTP API, which the apiserver proxies pods/log and
// pods/exec to: /healthz, /containerLogs/… and /exec/… (WebSocket). It has no
// authentication yet, so it binds to 127.0.0.1 unless configured otherwise.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../api/log.js';
import type { RuntimeService } from '../runtime/cri.js';
import { ExecServer } from './exec.js';
import { HttpError, serveContainerLogs, writeFailure, type ContainerLookup } from './logs.js';

export interface KubeletServerOptions {
  runtime: RuntimeService;
  lookup: ContainerLookup;
  logger: Logger;
  address: string;
  port: number;
}

export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

export async function startKubeletServer(options: KubeletServerOptions): Promise<KubeletServer> {
  const { runtime, lookup, logger } = options;
  const exec = new ExecServer(runtime, lookup, logger);

  const server = http.createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!(error instanceof HttpError)) logger.error('Kubelet API request failed', { method: request.method, path: request.url, err: error });
      writeFailure(response, error);
    });
  });

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://kubelet');
    const parts = url.pathname.split('/').filter(Boolean);
    if (request.method !== 'GET') throw new HttpError(405, `method ${request.method} is not allowed on ${url.pathname}`);
    if (url.pathname === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('ok');
      return;
    }
    if (parts[0] === 'containerLogs' && parts.length === 4) {
      await serveContainerLogs(request, response, url, parts.slice(1), runtime, lookup, logger);
      return;
    }
    if (parts[0] === 'exec') throw new HttpError(400, 'exec needs a WebSocket upgrade with the v5.channel.k8s.io or v4.channel.k8s.io subprotocol');
    throw new HttpError(404, `${url.pathname} not found`);
  };

  server.on('upgrade', (request, socket, head) => exec.handleUpgrade(request, socket, head));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('Serving kubelet API', { address: `${options.address}:${port}` });

  return {
    port,
    close: () => new Promise<void>((resolve) => {
      exec.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
