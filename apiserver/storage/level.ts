// The LevelDB storage backend. Objects live in LevelDB as JSON under
// `object:<key>`, with the cluster revision under `meta:revision`. Every
// object is also kept in memory as its JSON text, so reads, lists and
// watches never touch the disk.
//
// Writes are group-committed: while one synced batch is being written, the
// writes that arrive queue up and go to disk together in the next batch, so
// concurrent clients share one fsync instead of paying one each. A write is
// acknowledged, and becomes visible to reads and watches, only after its
// batch is on disk.

import { Level } from 'level';
import type { KubeObject } from '../../api/types.js';
import { createLogger } from '../../api/log.js';
import { ChangeLog } from './changelog.js';
import {
  StorageError, type Change, type DeletePrecondition, type ListResult, type ObjectAttributes, type Storage,
  type StorageWatch, type StoredValue, type TryUpdate,
} from './interface.js';

const objectPrefix = 'object:';
const revisionKey = 'meta:revision';
/** At most this many writes go into one batch, so a burst cannot build one huge write. */
const maxBatchWrites = 2000;
/** The maximum time a batch waits for more writes to arrive, in milliseconds. */
const maxLingerMs = 2;
/** How many recent batch sizes predict the next one. */
const batchHistory = 8;

export interface LevelStorageOptions {
  path: string;
  /** Computes the labels and selectable fields of an object stored under key. */
  attributesOf(key: string, object: KubeObject): ObjectAttributes;
  /** The number of changes retained for watch resumption. */
  changeLogCapacity?: number;
}

interface QueuedWrite {
  change: Change;
  resolve(value: StoredValue): void;
  reject(error: Error): void;
}

interface SubmittedBatch {
  batch: QueuedWrite[];
  /** The batch's changes without the no-op entries that only wait for earlier writes. */
  changes: Change[];
  /** Resolves once the batch is synced, with the error if the write failed. */
  written: Promise<Error | undefined>;
}

interface Watcher {
  prefix: string;
  onChanges(changes: readonly Change[]): void;
}

/** Returns the first path segment of a key or prefix: `pods` for `pods/default/web`. */
function resourceOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}

function compareKeys(a: StoredValue, b: StoredValue): number {
  if (a.key === b.key) return 0;
  return a.key < b.key ? -1 : 1;
}

function withResourceVersion(object: KubeObject, revision: number): string {
  object.metadata.resourceVersion = String(revision);
  return JSON.stringify(object);
}

/**
 * Serializes an updated object with its new resourceVersion, or returns
 * undefined when it is the same as currentJson apart from that. The object
 * comes back from tryUpdate with the current resourceVersion, so a length
 * check usually proves a change without serializing twice. For example, an
 * otherwise unchanged object whose resourceVersion goes from "99" to "100"
 * is exactly one character longer. Any other difference in length is a real
 * change. On equal adjusted lengths, as a lease renewal's fixed-width
 * timestamps give, the two forms are compared around their resourceVersion,
 * and only when that field's text occurs more than once is the old form
 * serialized again.
 */
function serializeUpdate(object: KubeObject, revision: number, currentJson: string): string | undefined {
  const previous = object.metadata.resourceVersion;
  const next = String(revision);
  object.metadata.resourceVersion = next;
  const json = JSON.stringify(object);
  // Digit-only versions serialize without escapes, so their lengths add up exactly.
  const comparable = typeof previous === 'string' && /^\d+$/.test(previous);
  if (comparable) {
    if (json.length - next.length !== currentJson.length - previous.length) return json;
    const marker = `"resourceVersion":"${next}"`;
    const at = json.indexOf(marker);
    if (at >= 0 && json.indexOf(marker, at + 1) < 0) {
      // The marker is metadata.resourceVersion, so the forms are equal exactly when the rest of the text is.
      const oldMarker = `"resourceVersion":"${previous}"`;
      const unchanged = currentJson.startsWith(oldMarker, at) &&
        json.slice(0, at) === currentJson.slice(0, at) &&
        json.slice(at + marker.length) === currentJson.slice(at + oldMarker.length);
      return unchanged ? undefined : json;
    }
  }

  object.metadata.resourceVersion = previous;
  const unchanged = JSON.stringify(object) === currentJson;
  object.metadata.resourceVersion = next;
  return unchanged ? undefined : json;
}

export class LevelStorage implements Storage {
  private readonly logger = createLogger('storage');
  private readonly committed = new Map<string, Map<string, StoredValue>>();
  /** Writes queued or being written, by key: reads for updates see them, clients do not. */
  private readonly inFlight = new Map<string, { revision: number; value: StoredValue | undefined }>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly queue: QueuedWrite[] = [];
  private changeLog: ChangeLog;
  private assignedRevision = 0;
  private committedRevision = 0;
  private writing: Promise<void> | undefined;
  private failure: Error | undefined;
  private readonly recentBatchSizes: number[] = [];

  private constructor(private readonly db: Level<string, string>, private readonly options: LevelStorageOptions) {
    this.changeLog = new ChangeLog(options.changeLogCapacity ?? 10_000, 0);
  }

  /** Opens (or creates) the database at options.path and loads every object into memory. */
  static async open(options: LevelStorageOptions): Promise<LevelStorage> {
    const db = new Level<string, string>(options.path, { valueEncoding: 'utf8' });
    try {
      // Reads come from memory after the initial load, so LevelDB's block cache is kept small.
      await db.open({ cacheSize: 1024 * 1024 });
    } catch (error) {
      // LevelDB locks its directory, so a second apiserver on the same data dir fails here.
      const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new Error(`open LevelDB at ${options.path}: the database is locked by another process, most likely an apiserver on the same data dir. Stop it or choose another --data-dir`, { cause: error });
      }
      throw new Error(`open LevelDB at ${options.path}: ${(error as Error).message}`, { cause: error });
    }
    const storage = new LevelStorage(db, options);
    await storage.load();
    return storage;
  }

  private async load(): Promise<void> {
    let revision = Number((await this.db.get(revisionKey)) ?? 0);
    let count = 0;
    for await (const [dbKey, json] of this.db.iterator({ gte: objectPrefix, lt: 'object;' })) {
      const key = dbKey.slice(objectPrefix.length);
      const object = JSON.parse(json) as KubeObject;
      const objectRevision = Number(object.metadata.resourceVersion ?? 0);
      revision = Math.max(revision, objectRevision);
      this.bucket(key).set(key, { key, json, revision: objectRevision, attributes: this.options.attributesOf(key, object) });
      count++;
    }
    this.assignedRevision = revision;
    this.committedRevision = revision;
    this.changeLog = new ChangeLog(this.changeLog.capacity, revision);
    this.logger.info('Loaded storage', { path: this.options.path, objects: count, revision });
  }

  currentRevision(): number {
    return this.committedRevision;
  }

  async get(key: string): Promise<StoredValue | undefined> {
    return this.committed.get(resourceOf(key))?.get(key);
  }

  async list(prefix: string, atRevision?: number): Promise<ListResult> {
    const items: StoredValue[] = [];
    for (const [key, value] of this.committed.get(resourceOf(prefix)) ?? []) {
      if (key.startsWith(prefix)) items.push(value);
    }
    if (atRevision === undefined || atRevision >= this.committedRevision) {
      return { items: items.sort(compareKeys), revision: this.committedRevision };
    }
    if (atRevision < this.changeLog.oldestResumableRevision) {
      throw new StorageError('Expired', prefix, `too old resource version: ${atRevision} (${this.changeLog.oldestResumableRevision})`);
    }
    const snapshot = new Map(items.map((value) => [value.key, value]));
    // Undoing the later changes newest first leaves each key as its first later change found it.
    const later = this.changeLog.since(atRevision);
    for (let index = later.length - 1; index >= 0; index--) {
      const change = later[index];
      if (!change.value.key.startsWith(prefix)) continue;
      if (change.previous) snapshot.set(change.value.key, change.previous);
      else snapshot.delete(change.value.key);
    }
    return { items: [...snapshot.values()].sort(compareKeys), revision: atRevision };
  }

  create(key: string, object: KubeObject): Promise<StoredValue> {
    if (this.latest(key)) return Promise.reject(new StorageError('AlreadyExists', key, `key ${key} already exists`));
    const revision = this.nextRevision();
    return this.enqueue({ type: 'ADDED', revision, value: this.stored(key, object, revision), previous: undefined });
  }

  guaranteedUpdate(key: string, tryUpdate: TryUpdate): Promise<StoredValue> {
    const current = this.latest(key);
    if (!current) return Promise.reject(new StorageError('NotFound', key, `key ${key} not found`));
    let updated: KubeObject;
    let json: string;
    const revision = this.assignedRevision + 1;
    try {
      const object = JSON.parse(current.json) as KubeObject;
      updated = tryUpdate(object, current.revision, current.json);
      // An update that changes nothing keeps the old revision and writes nothing.
      const serialized = serializeUpdate(updated, revision, current.json);
      if (serialized === undefined) return this.afterQueuedWrites(current);
      json = serialized;
    } catch (error) {
      return Promise.reject(error);
    }
    this.nextRevision();
    const value = { key, json, revision, attributes: this.options.attributesOf(key, updated) };
    return this.enqueue({ type: 'MODIFIED', revision, value, previous: current });
  }

  delete(key: string, precondition?: DeletePrecondition): Promise<StoredValue> {
    const current = this.latest(key);
    if (!current) return Promise.reject(new StorageError('NotFound', key, `key ${key} not found`));
    const object = JSON.parse(current.json) as KubeObject;
    try {
      precondition?.(object, current.revision);
    } catch (error) {
      return Promise.reject(error);
    }
    const revision = this.nextRevision();
    const value = { key, json: withResourceVersion(object, revision), revision, attributes: current.attributes };
    return this.enqueue({ type: 'DELETED', revision, value, previous: current });
  }

  watch(prefix: string, fromRevision: number | undefined, onChanges: (changes: readonly Change[]) => void): StorageWatch {
    if (fromRevision !== undefined && fromRevision < this.changeLog.oldestResumableRevision) {
      throw new StorageError('Expired', prefix,
        `too old resource version: ${fromRevision} (${this.changeLog.oldestResumableRevision})`);
    }
    const watcher: Watcher = { prefix, onChanges };
    const resource = resourceOf(prefix);
    let set = this.watchers.get(resource);
    if (!set) this.watchers.set(resource, (set = new Set()));
    set.add(watcher);
    if (fromRevision !== undefined) {
      const replay = this.changeLog.since(fromRevision).filter((change) => change.value.key.startsWith(prefix));
      if (replay.length > 0) onChanges(replay);
    }
    return { stop: () => set.delete(watcher) };
  }

  async close(): Promise<void> {
    while (this.writing) await this.writing;
    this.watchers.clear();
    await this.db.close();
    this.logger.info('Closed storage', { path: this.options.path, revision: this.committedRevision });
  }

  private bucket(key: string): Map<string, StoredValue> {
    const resource = resourceOf(key);
    let bucket = this.committed.get(resource);
    if (!bucket) this.committed.set(resource, (bucket = new Map()));
    return bucket;
  }

  private latest(key: string): StoredValue | undefined {
    const pending = this.inFlight.get(key);
    return pending ? pending.value : this.committed.get(resourceOf(key))?.get(key);
  }

  private nextRevision(): number {
    if (this.failure) throw new StorageError('Unavailable', '', `storage failed: ${this.failure.message}`);
    return ++this.assignedRevision;
  }

  private stored(key: string, object: KubeObject, revision: number): StoredValue {
    return { key, json: withResourceVersion(object, revision), revision, attributes: this.options.attributesOf(key, object) };
  }

  /** Resolves with value once every write queued so far is on disk, so a no-op never overtakes a write it read. */
  private afterQueuedWrites(value: StoredValue): Promise<StoredValue> {
    if (this.queue.length === 0 && !this.writing) return Promise.resolve(value);
    return new Promise((resolve, reject) => {
      this.queue.push({ change: { type: 'MODIFIED', revision: 0, value, previous: undefined }, resolve, reject });
    });
  }

  private enqueue(change: Change): Promise<StoredValue> {
    this.inFlight.set(change.value.key, { revision: change.revision, value: change.type === 'DELETED' ? undefined : change.value });
    const promise = new Promise<StoredValue>((resolve, reject) => this.queue.push({ change, resolve, reject }));
    if (!this.writing) this.writing = this.drain().finally(() => (this.writing = undefined));
    return promise;
  }

  /**
   * Lets more writes join the next batch before it goes to disk. It always
   * waits one turn of the event loop, so requests already read from sockets
   * join. While the queue is well short of the recent batch sizes (clients
   * that just got their responses are sending their next writes), it waits
   * up to maxLingerMs more. Without this, a burst of 64 writers splits into
   * a small batch and a large one and pays for two fsyncs instead of one.
   */
  private async gather(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const expected = Math.max(0, ...this.recentBatchSizes);
    const deadline = performance.now() + maxLingerMs;
    while (this.queue.length > 0 && this.queue.length < expected * 0.75 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /**
   * Writes queued changes in batches, one synced batch at a time. The next
   * batch goes to LevelDB the moment the previous one's sync returns, before
   * that batch is committed to memory and its clients get their responses, so
   * the disk syncs while this thread sends responses and reads the next
   * requests. With 64 clients the writers settle into two groups that take
   * turns: one group's batch syncs while the other group's responses go out
   * and its next requests queue up.
   */
  private async drain(): Promise<void> {
    await this.gather();
    let pending = this.submit();
    while (pending) {
      const error = await pending.written;
      const next = this.submit();
      this.settle(pending, error);
      pending = next;
      if (!pending) {
        await this.gather();
        pending = this.submit();
      }
    }
  }

  /** Starts writing the next batch from the queue; returns undefined when the queue is empty. */
  private submit(): SubmittedBatch | undefined {
    if (this.queue.length === 0) return undefined;
    const batch = this.queue.splice(0, maxBatchWrites);
    const changes = batch.filter((write) => write.change.revision > 0).map((write) => write.change);
    let written: Promise<Error | undefined>;
    if (this.failure) written = Promise.resolve(this.failure);
    else if (changes.length === 0) written = Promise.resolve(undefined);
    else written = this.writeBatch(changes).then(() => undefined, (error: unknown) => error instanceof Error ? error : new Error(String(error)));
    return { batch, changes, written };
  }

  /**
   * Commits a written batch and resolves its writes, or rejects them. A batch
   * that reached the disk after an earlier batch failed is rejected too,
   * because memory no longer matches the disk from the failed batch on.
   */
  private settle(submitted: SubmittedBatch, error: Error | undefined): void {
    const failure = error ?? this.failure;
    if (failure) {
      this.fail(failure, submitted.batch);
      return;
    }
    this.commit(submitted.changes);
    this.recentBatchSizes.push(submitted.changes.length);
    if (this.recentBatchSizes.length > batchHistory) this.recentBatchSizes.shift();
    for (const write of submitted.batch) write.resolve(write.change.value);
    this.logger.debug('Committed batch', { writes: submitted.changes.length, revision: this.committedRevision });
  }

  private async writeBatch(changes: Change[]): Promise<void> {
    // A chained batch costs the main thread about a third of what an array of
    // operations does (2 µs against 6 µs a put, measured with batches of 64
    // puts of 1.5 KB), because the array form copies and checks each operation.
    const batch = this.db.batch();
    for (const change of changes) {
      if (change.type === 'DELETED') batch.del(objectPrefix + change.value.key);
      else batch.put(objectPrefix + change.value.key, change.value.json);
    }
    batch.put(revisionKey, String(changes[changes.length - 1].revision));
    // sync: true makes LevelDB fsync its log before the batch resolves, so an
    // acknowledged write survives a crash or kill -9.
    await batch.write({ sync: true });
  }

  /** Rejects a failed batch and every later write, because a failed synced write leaves memory and disk out of step. */
  private fail(error: Error, batch: QueuedWrite[]): void {
    if (!this.failure) {
      this.failure = error;
      this.logger.error('Write to LevelDB failed; rejecting all further writes', { path: this.options.path, err: error });
    }
    for (const write of batch) {
      this.inFlight.delete(write.change.value.key);
      write.reject(new StorageError('Unavailable', write.change.value.key, `storage write failed: ${error.message}`));
    }
  }

  private commit(changes: Change[]): void {
    const byWatcher = new Map<Watcher, Change[]>();
    for (const change of changes) {
      const key = change.value.key;
      if (change.type === 'DELETED') this.bucket(key).delete(key);
      else this.bucket(key).set(key, change.value);
      if (this.inFlight.get(key)?.revision === change.revision) this.inFlight.delete(key);
      this.committedRevision = change.revision;
      this.changeLog.append(change);
      for (const watcher of this.watchers.get(resourceOf(key)) ?? []) {
        if (!key.startsWith(watcher.prefix)) continue;
        let list = byWatcher.get(watcher);
        if (!list) byWatcher.set(watcher, (list = []));
        list.push(change);
      }
    }
    for (const [watcher, list] of byWatcher) {
      try {
        watcher.onChanges(list);
      } catch (error) {
        // One broken watcher must not stop delivery to the others or fail the writes.
        this.logger.error('Watch handler failed', { prefix: watcher.prefix, err: error });
      }
    }
  }
}
