// A small typed client for the tinykube (and Kubernetes) REST API. Every
// component talks to the cluster only through it, over HTTP with keep-alive,
// so a kubelet on another machine works exactly like a local one.

import http from 'node:http';
import { Http1Pool } from './http1-pool.js';
import { readKubeconfig } from './kubeconfig.js';
import { resourcePath, type ResourceType } from './resources.js';
import type { DeleteOptions, KubeList, KubeObject, Status, WatchEvent } from './types.js';

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(readonly status: Status, method: string, path: string) {
    super(`${method} ${path}: ${status.code} ${status.reason ?? ''}: ${status.message ?? ''}`.trim());
    this.name = 'ApiError';
    this.code = status.code ?? 0;
    this.reason = status.reason ?? 'Unknown';
  }
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiError && error.code === 404;
export const isConflict = (error: unknown): boolean => error instanceof ApiError && error.code === 409;
export const isAlreadyExists = (error: unknown): boolean => error instanceof ApiError && error.reason === 'AlreadyExists';
export const isGone = (error: unknown): boolean => error instanceof ApiError && error.code === 410;

/** Returns the apiserver's response in error's cause chain, or undefined when the request never got one. */
export function findApiError(error: unknown): ApiError | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof ApiError) return current;
  }
  return undefined;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const patchContentTypes: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  force?: boolean;
}

export interface Watch {
  /** Ends the stream; `done` then resolves. */
  stop(): void;
  /** Resolves when the server closes the stream or stop() is called; rejects on a transport error. */
  done: Promise<void>;
}

export interface ClientOptions {
  server: string;
  /** Sent as the User-Agent, and as the default fieldManager of writes. */
  userAgent?: string;
  /** Connections for requests, and separately for watches (64 each by default). */
  maxSockets?: number;
  /**
   * Time a request may wait for its whole response before it fails with
   * ETIMEDOUT, so a stalled apiserver or a half-open connection cannot hang a
   * caller forever. 60 s by default, kube-apiserver's own limit on requests.
   * Watches are not limited.
   */
  timeoutMs?: number;
}

/** The transports a client shares with the views that withTimeout() makes. */
interface Transports {
  agent: http.Agent;
  pool: Http1Pool;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export class ApiClient {
  readonly server: URL;
  /** Carries watches, which node:http streams. */
  private readonly agent: http.Agent;
  /** Carries every request whose whole response is read at once. */
  private readonly pool: Http1Pool;
  private readonly userAgent: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: ClientOptions, shared?: Transports) {
    this.server = new URL(options.server);
    if (this.server.protocol !== 'http:') throw new TypeError(`unsupported server URL ${options.server}: only http:// is served until the cluster has TLS`);
    this.agent = shared?.agent ?? new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
    // URL keeps the brackets of an IPv6 literal, which a socket address must not have.
    const host = this.server.hostname.replace(/^\[(.*)\]$/, '$1');
    this.pool = shared?.pool ?? new Http1Pool({ host, port: Number(this.server.port || 80), maxSockets: options.maxSockets ?? 64 });
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.userAgent = options.userAgent ?? 'tinykube';
    if (/[\r\n]/.test(this.userAgent)) throw new TypeError(`invalid user agent ${JSON.stringify(this.userAgent)}: it must be one line`);
  }

  static fromKubeconfig(path: string, userAgent?: string): ApiClient {
    return new ApiClient({ server: readKubeconfig(path).server, userAgent });
  }

  /** Returns a client on the same connections whose requests time out after timeoutMs. Closing either closes both. */
  withTimeout(timeoutMs: number): ApiClient {
    return new ApiClient({ ...this.options, timeoutMs }, { agent: this.agent, pool: this.pool });
  }

  close(): void {
    this.agent.destroy();
    this.pool.close();
  }

  /** Sends one request and parses the JSON response. A non-2xx response throws ApiError. */
  request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    return this.exchange(method, path, body, contentType, true) as Promise<T>;
  }

  /**
   * Sends one request like request(), but skips parsing a successful
   * response, for writers that do not read the object back. This saves
   * parsing a whole object on every write.
   */
  async send(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<void> {
    await this.exchange(method, path, body, contentType, false);
  }

  private async exchange(method: string, path: string, body: unknown, contentType: string, decode: boolean): Promise<unknown> {
    // A string body (YAML, or a patch already encoded) is sent as it is.
    let payload: string | undefined;
    if (typeof body === 'string') payload = body;
    else if (body !== undefined) payload = JSON.stringify(body);
    // Spaces and control characters would end the request line early, as node:http also rejects them.
    if (/[^\x21-\x7e]/.test(path)) throw new TypeError(`${method} ${path}: the request path contains unescaped characters`);
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.server.host}\r\nAccept: application/json\r\nUser-Agent: ${this.userAgent}`;
    if (payload !== undefined) head += `\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(payload)}`;

    let response;
    try {
      response = await this.pool.request(method, head, payload, this.timeoutMs);
    } catch (error) {
      throw new Error(`${method} ${this.server.origin}${path}: ${(error as Error).message}`, { cause: error });
    }
    const code = response.statusCode;
    if (!decode && code >= 200 && code < 300) return undefined;
    const text = response.body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { kind: 'Status', code, message: text };
    }
    if (code >= 200 && code < 300) return parsed;
    throw new ApiError({ code, ...(parsed as Status) }, method, path);
  }

  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, subresource?: string): Promise<T> {
    return this.request('GET', resourcePath(type, namespace, name, subresource));
  }

  list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    const { namespace, ...params } = options;
    return this.request('GET', resourcePath(type, namespace) + query({ ...params }));
  }

  create<T extends KubeObject>(type: ResourceType, object: T, options: WriteOptions = {}): Promise<T> {
    const path = resourcePath(type, object.metadata.namespace) + this.writeQuery(options);
    return this.request('POST', path, object);
  }

  /** Replaces an object (PUT); a stale metadata.resourceVersion gets 409 Conflict. */
  update<T extends KubeObject>(type: ResourceType, object: T, options: WriteOptions = {}): Promise<T> {
    const path = resourcePath(type, object.metadata.namespace, object.metadata.name) + this.writeQuery(options);
    return this.request('PUT', path, object);
  }

  updateStatus<T extends KubeObject>(type: ResourceType, object: T, options: WriteOptions = {}): Promise<T> {
    const path = resourcePath(type, object.metadata.namespace, object.metadata.name, 'status') + this.writeQuery(options);
    return this.request('PUT', path, object);
  }

  patch<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, patch: unknown,
    patchType: PatchType = 'merge', options: WriteOptions & { subresource?: string } = {}): Promise<T> {
    const path = resourcePath(type, namespace, name, options.subresource) + this.writeQuery(options);
    return this.request('PATCH', path, patch, patchContentTypes[patchType]);
  }

  delete<T = Status>(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<T> {
    const body: DeleteOptions = { kind: 'DeleteOptions', apiVersion: 'v1', ...options };
    return this.request('DELETE', resourcePath(type, namespace, name), body);
  }

  /** Creates a subresource object, such as a pods/binding or pods/eviction. */
  createSubresource<T>(type: ResourceType, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<T> {
    return this.request('POST', resourcePath(type, namespace, name, subresource), body);
  }

  private writeQuery(options: WriteOptions): string {
    return query({
      dryRun: options.dryRun ? 'All' : undefined,
      fieldManager: options.fieldManager,
      force: options.force ? true : undefined,
    });
  }

  /**
   * Opens a watch stream and calls onEvent for each event, in order. An
   * ERROR event (such as 410 Expired) is delivered like any other; the
   * caller decides whether to relist.
   */
  watch<T extends KubeObject>(type: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Watch {
    const { namespace, ...params } = options;
    const path = resourcePath(type, namespace) + query({ ...params, watch: 'true' });
    let request: http.ClientRequest | undefined;
    let stopped = false;
    const done = new Promise<void>((resolve, reject) => {
      request = http.request({
        host: this.server.hostname, port: this.server.port, path, method: 'GET',
        headers: { accept: 'application/json', 'user-agent': this.userAgent },
      }, (response) => {
        if ((response.statusCode ?? 0) >= 300) {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            let status: Status;
            try {
              status = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Status;
            } catch {
              status = { code: response.statusCode, message: Buffer.concat(chunks).toString('utf8') };
            }
            reject(new ApiError({ code: response.statusCode, ...status }, 'WATCH', path));
          });
          return;
        }
        let buffered = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffered += chunk;
          // One chunk often contains a whole batch of events, so the buffer is cut once, after its last full line.
          let start = 0;
          let newline: number;
          while ((newline = buffered.indexOf('\n', start)) >= 0) {
            const line = buffered.slice(start, newline).trim();
            start = newline + 1;
            if (line && !stopped) onEvent(JSON.parse(line) as WatchEvent<T>);
          }
          buffered = buffered.slice(start);
        });
        response.on('end', resolve);
        response.on('close', resolve);
        response.on('error', (error) => (stopped ? resolve() : reject(error)));
      });
      request.on('error', (error) => (stopped ? resolve() : reject(new Error(`WATCH ${this.server.origin}${path}: ${error.message}`, { cause: error }))));
      request.end();
    });
    return {
      stop: () => {
        stopped = true;
        request?.destroy();
      },
      done,
    };
  }
}
