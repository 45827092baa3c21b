// A list-watch cache: it lists a resource once, then follows a watch from the
// list's resourceVersion, and keeps an in-memory copy that handlers and
// reconcilers read. Objects in the cache are shared and read-only: clone one
// before changing it.

import { ApiClient, ApiError, isGone, type ListOptions } from './client.js';
import { createLogger, type Logger } from './log.js';
import type { ResourceType } from './resources.js';
import type { KubeObject, Status, WatchEvent } from './types.js';

export type ReadonlyDeep<T> = T extends (infer U)[] ? ReadonlyArray<ReadonlyDeep<U>>
  : T extends object ? { readonly [K in keyof T]: ReadonlyDeep<T[K]> } : T;

export interface EventHandlers<T extends KubeObject> {
  add?(object: ReadonlyDeep<T>): void;
  update?(oldObject: ReadonlyDeep<T>, newObject: ReadonlyDeep<T>): void;
  delete?(object: ReadonlyDeep<T>): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Reduces each object before it is cached, as client-go's SetTransform,
   * to keep only the fields readers use. Handlers and get() then see the
   * reduced object, so writers must read the full object from the server.
   */
  transform?: (object: KubeObject) => KubeObject;
  /** Waits between retries after a failed list or watch; injected by tests. */
  delay?: (milliseconds: number) => Promise<void>;
  logger?: Logger;
}

/** Returns the cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(object: { metadata: { namespace?: string; name?: string } }): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : `${object.metadata.name}`;
}

const defaultDelay = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, ReadonlyDeep<T>>();
  private readonly handlers: EventHandlers<T>[] = [];
  private readonly delay: (milliseconds: number) => Promise<void>;
  private readonly logger: Logger;
  private resourceVersion = '';
  private synced = false;
  private running = false;
  private stopCurrentWatch: (() => void) | undefined;
  private syncWaiters: (() => void)[] = [];

  constructor(private readonly client: ApiClient, readonly type: ResourceType, private readonly options: InformerOptions = {}) {
    this.delay = options.delay ?? defaultDelay;
    this.logger = options.logger ?? createLogger('informer', { resource: type.plural });
  }

  addEventHandler(handlers: EventHandlers<T>): void {
    this.handlers.push(handlers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has filled the cache. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(key: string): ReadonlyDeep<T> | undefined {
    return this.store.get(key);
  }

  list(): ReadonlyDeep<T>[] {
    return [...this.store.values()];
  }

  get size(): number {
    return this.store.size;
  }

  /** Starts the list-watch loop in the background; stop() ends it. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  stop(): void {
    this.running = false;
    this.stopCurrentWatch?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (!this.resourceVersion) await this.relist();
        await this.watchOnce();
        failures = 0;
      } catch (error) {
        if (!this.running) break;
        if (isGone(error)) {
          // The watch window moved past our resourceVersion: start over with a fresh list.
          this.resourceVersion = '';
          continue;
        }
        failures++;
        const wait = Math.min(30_000, 200 * 2 ** Math.min(failures, 8));
        this.logger.warn('List-watch failed, retrying', { err: error, retryInMs: wait });
        await this.delay(wait);
      }
    }
  }

  private listOptions(): ListOptions {
    const { namespace, labelSelector, fieldSelector } = this.options;
    return { namespace, labelSelector, fieldSelector };
  }

  private async relist(): Promise<void> {
    const list = await this.client.list<T>(this.type, this.listOptions());
    const seen = new Set<string>();
    for (const item of list.items) {
      const object = this.reduce(item);
      const key = objectKey(item);
      seen.add(key);
      const old = this.store.get(key);
      this.store.set(key, object);
      if (old === undefined) this.handlers.forEach((handler) => handler.add?.(object));
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) this.handlers.forEach((handler) => handler.update?.(old, object));
    }
    for (const [key, old] of this.store) {
      if (seen.has(key)) continue;
      this.store.delete(key);
      this.handlers.forEach((handler) => handler.delete?.(old));
    }
    this.resourceVersion = list.metadata.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      this.syncWaiters.forEach((resolve) => resolve());
      this.syncWaiters = [];
    }
  }

  private async watchOnce(): Promise<void> {
    let failure: unknown;
    const watch = this.client.watch<T>(this.type, {
      ...this.listOptions(),
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: 300 + Math.floor(Math.random() * 300),
    }, (event) => {
      if (failure === undefined) failure = this.apply(event);
    });
    this.stopCurrentWatch = () => watch.stop();
    await watch.done;
    if (failure !== undefined) throw failure;
  }

  private reduce(object: T): ReadonlyDeep<T> {
    const { transform } = this.options;
    // The transform keeps the object's own type; its signature is untyped only so options need no type parameter.
    return (transform ? transform(object) : object) as ReadonlyDeep<T>;
  }

  /** Applies one event to the cache; returns an error for an ERROR event. */
  private apply(event: WatchEvent<T>): unknown {
    if (event.type === 'ERROR') {
      this.stopCurrentWatch?.();
      return new ApiError(event.object as unknown as Status, 'WATCH', this.type.plural);
    }
    this.resourceVersion = event.object.metadata.resourceVersion ?? this.resourceVersion;
    if (event.type === 'BOOKMARK') return undefined;
    const object = this.reduce(event.object);
    const key = objectKey(event.object);
    const old = this.store.get(key);
    if (event.type === 'DELETED') {
      this.store.delete(key);
      this.handlers.forEach((handler) => handler.delete?.(old ?? object));
      return undefined;
    }
    this.store.set(key, object);
    if (old === undefined) this.handlers.forEach((handler) => handler.add?.(object));
    else this.handlers.forEach((handler) => handler.update?.(old, object));
    return undefined;
  }
}
