// Records core/v1 Events about objects, as client-go's event recorder does
// for kube-controller-manager, the scheduler and the kubelet. A repeat of an
// event (same object, type, reason and message from the same source) updates
// the stored Event's count and lastTimestamp instead of creating another, so
// `kubectl describe` shows "(x3 over 2m)". Writes happen in the background,
// a few at a time and in order for each aggregation key, so recording never
// blocks or fails a reconcile. As in client-go, events beyond a backlog of
// 1,000 are dropped rather than queued without bound.

import { ApiClient, isNotFound } from '../../api/client.js';
import { createLogger, type Logger } from '../../api/log.js';
import { events as eventResource, resourcePath } from '../../api/resources.js';
import type { Event, KubeObject, ObjectReference } from '../../api/types.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: ApiClient;
  /** The source component, such as `replicaset-controller` or `default-scheduler`. */
  component: string;
  /** The source host; kubelets set their node name. */
  host?: string;
  /** The reportingInstance of each event; the host by default. */
  reportingInstance?: string;
  now?: () => Date;
  /** Maximum number of distinct events remembered for aggregation (4096, as client-go). */
  cacheSize?: number;
  /** Concurrent event writes (8 by default). */
  concurrency?: number;
  /** Events waiting to be written beyond which new ones are dropped (1000, as client-go). */
  maxBacklog?: number;
  logger?: Logger;
}

interface WrittenEvent {
  name: string;
  namespace: string;
  count: number;
}

interface ObjectIdentity {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export class EventRecorder {
  private readonly client: ApiClient;
  private readonly component: string;
  private readonly host: string | undefined;
  private readonly reportingInstance: string;
  private readonly now: () => Date;
  private readonly cacheSize: number;
  private readonly logger: Logger;
  /** The name, namespace and count of the last Event written for each aggregation key, oldest first. */
  private readonly recent = new Map<string, WrittenEvent>();
  /** The last queued write of each aggregation key, so writes of one key stay in order. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private readonly waitingForSlot: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly maxBacklog: number;
  private active = 0;
  private dropped = 0;

  constructor(options: EventRecorderOptions) {
    this.client = options.client;
    this.component = options.component;
    this.host = options.host;
    this.reportingInstance = options.reportingInstance ?? options.host ?? '';
    this.now = options.now ?? (() => new Date());
    this.cacheSize = options.cacheSize ?? 4096;
    this.concurrency = options.concurrency ?? 8;
    this.maxBacklog = options.maxBacklog ?? 1000;
    this.logger = options.logger ?? createLogger('events', { component: options.component });
  }

  /** Records an event about object; the write is queued and its failure only logged. */
  event(object: ObjectIdentity, type: EventType, reason: string, message: string): void {
    const involvedObject = referenceTo(object);
    const time = this.now();
    if (this.pending.size >= this.maxBacklog) {
      // Count drops and log the first of every thousand, so a flood does not also flood the log.
      if (this.dropped++ % 1000 === 0) this.logger.warn('Dropping events, too many are waiting to be written', { backlog: this.pending.size, dropped: this.dropped, reason });
      return;
    }
    const key = [this.component, this.host, involvedObject.kind, involvedObject.namespace, involvedObject.name,
      involvedObject.uid, type, reason, message].join('\u0000');
    const previous = this.tails.get(key) ?? Promise.resolve();
    const write = previous.then(() => this.withSlot(() => this.write(key, involvedObject, type, reason, message, time)));
    this.tails.set(key, write);
    this.pending.add(write);
    void write.finally(() => {
      this.pending.delete(write);
      if (this.tails.get(key) === write) this.tails.delete(key);
    });
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Runs fn once fewer than `concurrency` writes are active; a finishing write hands its slot to the next waiter. */
  private async withSlot(fn: () => Promise<void>): Promise<void> {
    if (this.active < this.concurrency) this.active++;
    else await new Promise<void>((resolve) => this.waitingForSlot.push(resolve));
    try {
      await fn();
    } finally {
      const next = this.waitingForSlot.shift();
      if (next) next();
      else this.active--;
    }
  }

  private async write(key: string, involvedObject: ObjectReference, type: EventType, reason: string, message: string, time: Date): Promise<void> {
    const timestamp = time.toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      const previous = this.recent.get(key);
      const written = previous ? await this.updateCount(previous, timestamp) : undefined;
      this.remember(key, written ?? await this.create(involvedObject, type, reason, message, time));
    } catch (error) {
      // An event is advisory: losing one must not disturb the controller that reported it.
      this.logger.warn('Failed to record event', { reason, object: `${involvedObject.namespace ?? ''}/${involvedObject.name ?? ''}`, err: error });
    }
  }

  /** Increments the count of an Event already written; undefined when it is gone. */
  private async updateCount(previous: WrittenEvent, timestamp: string): Promise<WrittenEvent | undefined> {
    const count = previous.count + 1;
    try {
      await this.client.patch<Event>(eventResource, previous.namespace, previous.name, { count, lastTimestamp: timestamp }, 'merge');
      return { ...previous, count };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async create(involvedObject: ObjectReference, type: EventType, reason: string, message: string, time: Date): Promise<WrittenEvent> {
    const namespace = involvedObject.namespace || 'default';
    const timestamp = time.toISOString().replace(/\.\d+Z$/, 'Z');
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      // The name pattern of client-go: the object's name and the time in hexadecimal nanoseconds.
      metadata: { name: `${involvedObject.name}.${(BigInt(time.getTime()) * 1_000_000n + BigInt(process.hrtime()[1] % 1_000_000)).toString(16)}`, namespace },
      involvedObject,
      reason,
      message,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
      type,
      reportingComponent: this.component,
      reportingInstance: this.reportingInstance,
    };
    // The name is set here, so nothing needs to be read from the response.
    await this.client.send('POST', resourcePath(eventResource, namespace), event);
    return { name: event.metadata.name ?? '', namespace, count: 1 };
  }

  private remember(key: string, event: WrittenEvent): void {
    this.recent.delete(key);
    this.recent.set(key, event);
    if (this.recent.size > this.cacheSize) {
      const oldest = this.recent.keys().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
  }
}

/** Builds the involvedObject reference of an event. */
export function referenceTo(object: ObjectIdentity | KubeObject): ObjectReference {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    uid: object.metadata.uid,
    resourceVersion: object.metadata.resourceVersion,
  };
}
