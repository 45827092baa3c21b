// GET /containerLogs/{namespace}/{pod}/{container}: a container's log as
// text/plain, streamed while following, with the query parameters of the
// kubelet's API (and of `kubectl logs`): follow, tailLines, sinceSeconds,
// sinceTime, previous, timestamps and limitBytes.

import type http from 'node:http';
import type { Logger } from '../api/log.js';
import type { Status } from '../api/types.js';
import type { ContainerStatus, LogOptions, RuntimeService } from '../runtime/cri.js';
import { errorMessage } from './errors.js';

export type ContainerLookup = (namespace: string, podName: string, containerName: string, previous: boolean) => Promise<ContainerStatus>;

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}

const statusReasons: Record<number, string> = {
  400: 'BadRequest', 404: 'NotFound', 405: 'MethodNotAllowed', 500: 'InternalError',
};

/**
 * Builds the metav1.Status of a failed kubelet API request. The apiserver's
 * proxy passes it on unchanged, and kubectl prints its reason and message.
 */
export function failureStatus(error: unknown): Status & { code: number } {
  const code = error instanceof HttpError ? error.statusCode : 500;
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: errorMessage(error), reason: statusReasons[code] ?? 'InternalError', code,
  };
}

/** Answers a failed request with its metav1.Status as JSON, as every Kubernetes API error is sent. */
export function writeFailure(response: http.ServerResponse, error: unknown): void {
  const status = failureStatus(error);
  const body = JSON.stringify(status);
  if (!response.headersSent) response.writeHead(status.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function integerParameter(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw new HttpError(400, `invalid ${name} "${value}": must be an integer`);
  return Number(value);
}

function booleanParameter(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1' || value === '';
}

/** Parses the log query into runtime options; since is in ms since the epoch. */
export function parseLogQuery(query: URLSearchParams, now = Date.now()): LogOptions & { previous: boolean } {
  const sinceSeconds = integerParameter(query, 'sinceSeconds');
  const sinceTimeText = query.get('sinceTime');
  let sinceTime: number | undefined;
  if (sinceSeconds !== undefined) sinceTime = now - sinceSeconds * 1000;
  if (sinceTimeText) {
    sinceTime = Date.parse(sinceTimeText);
    if (Number.isNaN(sinceTime)) throw new HttpError(400, `invalid sinceTime "${sinceTimeText}": must be RFC 3339`);
  }
  return {
    follow: query.has('follow') && booleanParameter(query, 'follow'),
    previous: query.has('previous') && booleanParameter(query, 'previous'),
    timestamps: query.has('timestamps') && booleanParameter(query, 'timestamps'),
    tailLines: integerParameter(query, 'tailLines'),
    limitBytes: integerParameter(query, 'limitBytes'),
    sinceTime,
  };
}

export async function serveContainerLogs(request: http.IncomingMessage, response: http.ServerResponse, url: URL,
  parts: string[], runtime: RuntimeService, lookup: ContainerLookup, logger: Logger): Promise<void> {
  const [namespace, podName, containerName] = parts.map(decodeURIComponent);
  const options = parseLogQuery(url.searchParams);
  const container = await lookup(namespace, podName, containerName, options.previous);

  const abort = new AbortController();
  response.on('close', () => abort.abort());
  response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  response.flushHeaders();

  // The kubelet formats lines itself, so limitBytes and timestamps mean the same for every runtime.
  let remaining = options.limitBytes ?? Infinity;
  try {
    await runtime.readLogs(container.id, { follow: options.follow, tailLines: options.tailLines, sinceTime: options.sinceTime, signal: abort.signal }, (line) => {
      if (remaining <= 0) return;
      let text = (options.timestamps ? `${line.time} ` : '') + line.content + (line.tag === 'F' ? '\n' : '');
      if (Buffer.byteLength(text) > remaining) text = Buffer.from(text).subarray(0, remaining).toString('utf8');
      remaining -= Buffer.byteLength(text);
      response.write(text);
      if (remaining <= 0) abort.abort();
    });
  } catch (error) {
    if (!abort.signal.aborted) logger.warn('Log stream failed', { namespace, pod: podName, container: containerName, err: error });
  }
  response.end();
  request.resume();
}
