// The apiserver: koa serving the Kubernetes REST API over the registry and
// LevelDB storage, with one central error handler that turns StatusError
// into a Status response and anything else into 500 with a log line.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Koa from 'koa';
import { writeKubeconfig } from '../api/kubeconfig.js';
import { createLogger } from '../api/log.js';
import { namespaces, resourceTypes, type ResourceType } from '../api/resources.js';
import type { KubeObject, Status } from '../api/types.js';
import { defaultDefaultingOptions } from './defaults.js';
import { internalError, notFound, StatusError } from './errors.js';
import { handleNonResource } from './http/discovery-routes.js';
import { proxyUpgrade } from './http/proxy.js';
import { parseResourceRequest } from './http/request-info.js';
import { handleResource, type HandlerContext } from './http/resources.js';
import { attributesOf } from './registry/fields.js';
import { objectKey, storageResource } from './registry/keys.js';
import { Registry } from './registry/store.js';
import { LevelStorage } from './storage/level.js';

const logger = createLogger('apiserver');

/** The namespaces every cluster starts with. */
export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface ApiserverOptions {
  dataDir: string;
  /** 6443 when unset; 0 picks a free port. */
  port?: number;
  /** 127.0.0.1 when unset. */
  bindAddress?: string;
  /** Changes kept for watch resumption; older resourceVersions get 410 Expired. */
  watchWindow?: number;
  /** How often a watch that allows bookmarks gets one. */
  bookmarkIntervalMs?: number;
  /** tolerationSeconds of the not-ready NoExecute toleration added to every pod; 300 when unset. */
  defaultNotReadyTolerationSeconds?: number;
  /** tolerationSeconds of the unreachable NoExecute toleration added to every pod; 300 when unset. */
  defaultUnreachableTolerationSeconds?: number;
}

export interface RunningApiserver {
  url: string;
  port: number;
  kubeconfigPath: string;
  close(): Promise<void>;
}

const typesByStorageResource = new Map(resourceTypes.map((type) => [storageResource(type), type]));

/** Finds the ResourceType of a storage key such as `deployments.apps/default/web`. */
function typeOfKey(key: string): ResourceType {
  const type = typesByStorageResource.get(key.slice(0, key.indexOf('/')));
  if (!type) throw new Error(`storage key ${key} names no served resource`);
  return type;
}

function errorResponse(ctx: Koa.Context, error: unknown): void {
  let status: Status;
  if (error instanceof StatusError) {
    status = error.status;
  } else {
    logger.error('Request failed', { method: ctx.method, path: ctx.path, err: error });
    status = internalError((error as Error)?.message ?? String(error)).status;
  }
  ctx.status = status.code ?? 500;
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(status);
}

function createApp(handler: HandlerContext): Koa {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (ctx.respond === false) {
        // A stream had already started; the only thing left to do is record why it ended.
        logger.error('Streaming request failed', { method: ctx.method, path: ctx.path, err: error });
        return;
      }
      errorResponse(ctx, error);
    }
  });
  app.use(async (ctx) => {
    if (handleNonResource(ctx)) return;
    // The query string alone is parsed, because koa's ctx.URL builds a whole URL object for every request.
    const request = parseResourceRequest(ctx.method, ctx.path, new URLSearchParams(ctx.querystring));
    if (!request) throw notFound({ resource: ctx.path, name: '' });
    await handleResource(ctx, handler, request);
  });
  // Koa's own error event fires only for errors outside the middleware above, such as a broken socket.
  app.on('error', (error: Error) => logger.debug('Connection error', { err: error }));
  return app;
}

async function ensureSystemNamespaces(registry: Registry): Promise<void> {
  for (const name of systemNamespaces) {
    if (await registry.storage.get(objectKey(namespaces, undefined, name))) continue;
    const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    await registry.create(namespaces, undefined, namespace, { dryRun: false, fieldManager: 'tinykube-apiserver', fieldValidation: 'Ignore', warnings: [] });
    logger.info('Created system namespace', { namespace: name });
  }
}

/** Starts an apiserver on dataDir and writes dataDir/admin.kubeconfig pointing at it. */
export async function startApiserver(options: ApiserverOptions): Promise<RunningApiserver> {
  const bindAddress = options.bindAddress ?? '127.0.0.1';
  const storage = await LevelStorage.open({
    path: join(options.dataDir, 'storage'),
    attributesOf: (key, object) => attributesOf(typeOfKey(key), object),
    changeLogCapacity: options.watchWindow,
  });
  const registry = new Registry(storage, {
    notReadyTolerationSeconds: options.defaultNotReadyTolerationSeconds ?? defaultDefaultingOptions.notReadyTolerationSeconds,
    unreachableTolerationSeconds: options.defaultUnreachableTolerationSeconds ?? defaultDefaultingOptions.unreachableTolerationSeconds,
  });
  await ensureSystemNamespaces(registry);

  const handler: HandlerContext = { registry, watch: { bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000, open: new Set() } };
  const app = createApp(handler);
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (request, socket, head) => void proxyUpgrade(registry, request, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 6443, bindAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // The kubeconfig needs an address clients can dial: a wildcard bind is reached on loopback.
  let host = bindAddress;
  if (bindAddress === '0.0.0.0') host = '127.0.0.1';
  else if (bindAddress.includes(':')) host = `[${bindAddress}]`;
  const url = `http://${host}:${port}`;
  const kubeconfigPath = join(options.dataDir, 'admin.kubeconfig');
  writeKubeconfig(kubeconfigPath, url);
  logger.info('Serving', { address: `${bindAddress}:${port}`, dataDir: options.dataDir, kubeconfig: kubeconfigPath });

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    for (const stop of [...handler.watch.open]) stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await storage.close();
    logger.info('Stopped', { address: `${bindAddress}:${port}` });
  })());
  return { url, port, kubeconfigPath, close };
}
