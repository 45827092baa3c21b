// The watch endpoint: a chunked stream of JSON watch events, one per line,
// as kube-apiserver sends them. It replays changes after the requested
// resourceVersion from the storage change log, filters them through label
// and field selectors (an object that stops matching is sent as DELETED,
// one that starts matching as ADDED), and sends bookmarks on request.

import type { ServerResponse } from 'node:http';
import { parseSelector, SelectorError } from '../../api/labels.js';
import { apiVersionOf, type ResourceType } from '../../api/resources.js';
import type { KubeObject, WatchEventType } from '../../api/types.js';
import { createLogger } from '../../api/log.js';
import { badRequest } from '../errors.js';
import { parseFieldSelector } from '../registry/fields.js';
import { collectionPrefix } from '../registry/keys.js';
import type { Registry } from '../registry/store.js';
import { StorageError, type Change, type StoredValue, type StorageWatch } from '../storage/interface.js';
import { toTable, type TableVersion } from './negotiation.js';
import type { TableOptions } from '../table/index.js';

const logger = createLogger('apiserver');

/** A watcher that falls this far behind is closed, as kube-apiserver closes slow watchers; it then resumes from its last resourceVersion. */
const maxBufferedBytes = 16 * 1024 * 1024;

export interface WatchSettings {
  bookmarkIntervalMs: number;
  /** Stops each open watch stream, so a shutdown can end them. */
  open: Set<() => void>;
}

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  query: URLSearchParams;
  table?: { version: TableVersion; includeObject: TableOptions['includeObject'] };
}

function parseRevision(value: string): number {
  if (!/^\d+$/.test(value)) throw badRequest(`invalid resource version: ${JSON.stringify(value)}`);
  return Number(value);
}

function parseTimeout(value: string | null): number {
  if (value === null || value === '') {
    // kube-apiserver spreads watch lifetimes between one and two times its 30-minute minimum request timeout.
    return (1800 + Math.random() * 1800) * 1000;
  }
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) throw badRequest(`timeoutSeconds: Invalid value: ${JSON.stringify(value)}: must be a non-negative integer`);
  return seconds * 1000;
}

/**
 * Checks a watch request's parameters, throwing StatusError for bad ones
 * while a normal response can still be sent, and returns the function that
 * streams the watch on a raw response.
 */
export function prepareWatch(registry: Registry, request: WatchRequest, settings: WatchSettings): (response: ServerResponse) => Promise<void> {
  const { type, namespace, query } = request;
  let labels;
  try {
    labels = parseSelector(query.get('labelSelector') ?? undefined);
  } catch (error) {
    if (error instanceof SelectorError) throw badRequest(error.message);
    throw error;
  }
  const fields = parseFieldSelector(type, query.get('fieldSelector') ?? undefined);
  const matches = (value: StoredValue | undefined) =>
    value !== undefined && labels.matches(value.attributes.labels) && fields.matches(value.attributes.fields);
  const timeoutMs = parseTimeout(query.get('timeoutSeconds'));
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  const requestedVersion = query.get('resourceVersion') ?? '';
  const fromRevision = requestedVersion === '' || requestedVersion === '0' ? undefined : parseRevision(requestedVersion);
  const prefix = collectionPrefix(type, namespace);
  return (response) => streamWatch({ registry, request, settings, response, matches, timeoutMs, bookmarks, fromRevision, prefix });
}

interface WatchStream {
  registry: Registry;
  request: WatchRequest;
  settings: WatchSettings;
  response: ServerResponse;
  matches(value: StoredValue | undefined): boolean;
  timeoutMs: number;
  bookmarks: boolean;
  fromRevision: number | undefined;
  prefix: string;
}

async function streamWatch(stream: WatchStream): Promise<void> {
  const { registry, request, settings, response, matches, timeoutMs, bookmarks, fromRevision, prefix } = stream;
  const { type, namespace } = request;
  response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  response.flushHeaders();

  let headersSent = false;
  /** Returns one watch event as a line of the stream. */
  const eventLine = (eventType: WatchEventType, json: string): string => {
    let objectJson = json;
    if (request.table && eventType !== 'BOOKMARK' && eventType !== 'ERROR') {
      const object = JSON.parse(json) as KubeObject;
      objectJson = JSON.stringify(toTable(type, [object], request.table.version, { includeObject: request.table.includeObject, noHeaders: headersSent }));
      headersSent = true;
    }
    return `{"type":"${eventType}","object":${objectJson}}\n`;
  };
  const write = (text: string) => {
    if (text === '' || response.destroyed || response.writableEnded) return;
    response.write(text);
    if (response.writableLength > maxBufferedBytes) {
      logger.warn('Closing a watch that does not keep up', { resource: type.plural, namespace, bufferedBytes: response.writableLength });
      stop();
    }
  };
  const send = (eventType: WatchEventType, json: string) => write(eventLine(eventType, json));

  const deliver = (changes: readonly Change[]) => {
    // One committed batch goes out as one chunk: a chunk per event costs a chunk header and a buffer each in the socket write.
    let text = '';
    for (const change of changes) {
      const now = matches(change.value);
      const before = change.type !== 'ADDED' && matches(change.previous);
      if (change.type === 'DELETED') {
        if (before) text += eventLine('DELETED', change.value.json);
      } else if (now && before) {
        text += eventLine('MODIFIED', change.value.json);
      } else if (now) {
        text += eventLine('ADDED', change.value.json);
      } else if (before) {
        text += eventLine('DELETED', change.value.json);
      }
    }
    write(text);
  };

  let storageWatch: StorageWatch | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    storageWatch?.stop();
    clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    settings.open.delete(stop);
    if (!response.writableEnded) response.end();
  };
  settings.open.add(stop);
  response.on('close', stop);

  try {
    if (fromRevision === undefined) {
      // Unset and "0" both start with synthetic ADDED events for the current state.
      const list = await registry.storage.list(prefix);
      for (const item of list.items) if (matches(item)) send('ADDED', item.json);
      storageWatch = registry.storage.watch(prefix, list.revision, deliver);
    } else {
      storageWatch = registry.storage.watch(prefix, fromRevision, deliver);
    }
  } catch (error) {
    if (error instanceof StorageError && error.code === 'Expired') {
      // kube-apiserver rejects a resume past its window with one ERROR event carrying 410 Expired.
      const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: error.message, reason: 'Expired', code: 410 };
      send('ERROR', JSON.stringify(status));
      stop();
      return;
    }
    logger.error('Watch failed to start', { resource: type.plural, namespace, err: error });
    stop();
    return;
  }
  if (response.writableEnded) return;

  timeoutTimer = setTimeout(stop, timeoutMs);
  if (bookmarks) {
    bookmarkTimer = setInterval(() => {
      const bookmark = { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(registry.storage.currentRevision()) } };
      send('BOOKMARK', JSON.stringify(bookmark));
    }, settings.bookmarkIntervalMs);
  }
}
