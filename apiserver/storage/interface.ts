// The storage interface of the apiserver, shaped after kube-apiserver's
// storage.Interface: keys map to JSON-encoded objects, every write gets one
// cluster-wide revision (the objects' resourceVersion), and a watch follows
// changes from a revision on. A LevelDB backend implements it; an etcd
// backend could implement it the same way.

import type { KubeObject } from '../../api/types.js';

/** Labels and selectable fields of an object, computed once per write so filters need not parse JSON. */
export interface ObjectAttributes {
  readonly labels: Readonly<Record<string, string>> | undefined;
  readonly fields: Readonly<Record<string, string>>;
}

/** One stored object: its JSON text (resourceVersion included) and the revision that last wrote it. */
export interface StoredValue {
  readonly key: string;
  readonly json: string;
  readonly revision: number;
  readonly attributes: ObjectAttributes;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  readonly type: ChangeType;
  readonly revision: number;
  /** The object after the change; for DELETED, the last state with resourceVersion set to the deletion revision. */
  readonly value: StoredValue;
  /** The object before the change, for MODIFIED and DELETED. */
  readonly previous: StoredValue | undefined;
}

export interface ListResult {
  readonly items: readonly StoredValue[];
  /** The revision the list reflects. */
  readonly revision: number;
}

export interface StorageWatch {
  stop(): void;
}

/**
 * Computes the new object from a freshly parsed current one, which it may
 * change, or throws to abort the update. json is the stored JSON of current,
 * for a second copy. A result equal to current skips the write, as
 * kube-apiserver does for a no-op update.
 */
export type TryUpdate = (current: KubeObject, revision: number, json: string) => KubeObject;

/** Checks a delete against the current object; throws to abort it. */
export type DeletePrecondition = (current: KubeObject, revision: number) => void;

export type StorageErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired' | 'Unavailable';

export class StorageError extends Error {
  constructor(readonly code: StorageErrorCode, readonly key: string, message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

export interface Storage {
  /** The revision of the latest acknowledged write. */
  currentRevision(): number;
  get(key: string): Promise<StoredValue | undefined>;
  /**
   * Lists the objects whose keys start with prefix, sorted by key: as they
   * are now, or as they were at atRevision. Throws StorageError Expired when
   * the retained change log no longer reaches back to atRevision.
   */
  list(prefix: string, atRevision?: number): Promise<ListResult>;
  /** Writes a new object; throws StorageError AlreadyExists when the key is taken. */
  create(key: string, object: KubeObject): Promise<StoredValue>;
  /** Reads the latest object, passes it to tryUpdate and writes the result atomically; NotFound when absent. */
  guaranteedUpdate(key: string, tryUpdate: TryUpdate): Promise<StoredValue>;
  /** Deletes an object; returns its last state with resourceVersion set to the deletion revision. */
  delete(key: string, precondition?: DeletePrecondition): Promise<StoredValue>;
  /**
   * Calls onChanges with each batch of changes to keys under prefix that
   * happen after fromRevision (or after now when undefined), in revision
   * order. Throws StorageError Expired when fromRevision is older than the
   * retained change log.
   */
  watch(prefix: string, fromRevision: number | undefined, onChanges: (changes: readonly Change[]) => void): StorageWatch;
  close(): Promise<void>;
}
