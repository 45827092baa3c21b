// Expectations remember the creations and deletions a controller has asked
// for and not yet seen in its informer cache. While some are outstanding the
// controller does not act on the cache again, because the cache would still
// show too few (or too many) pods and it would create (or delete) twice.
// Expectations expire after a timeout, as in kube-controller-manager, so a
// lost watch event cannot block a controller for ever.

export interface ExpectationsOptions {
  /** After this long, outstanding expectations count as satisfied (5 minutes, as upstream). */
  ttlMs?: number;
  now?: () => number;
}

interface Expectation {
  adds: number;
  /** Keys of the objects whose deletion has not been observed yet. */
  deletes: Set<string>;
  setAt: number;
}

export class Expectations {
  private readonly entries = new Map<string, Expectation>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: ExpectationsOptions = {}) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** True when every expected creation and deletion of controllerKey was observed, or they expired. */
  satisfied(controllerKey: string): boolean {
    const entry = this.entries.get(controllerKey);
    if (!entry) return true;
    if (entry.adds <= 0 && entry.deletes.size === 0) return true;
    return this.now() - entry.setAt > this.ttlMs;
  }

  expectCreations(controllerKey: string, count: number): void {
    this.entries.set(controllerKey, { adds: count, deletes: new Set(), setAt: this.now() });
  }

  expectDeletions(controllerKey: string, objectKeys: readonly string[]): void {
    this.entries.set(controllerKey, { adds: 0, deletes: new Set(objectKeys), setAt: this.now() });
  }

  /** Records that one expected creation was seen in the cache, or will never happen because it failed. */
  creationObserved(controllerKey: string): void {
    const entry = this.entries.get(controllerKey);
    if (entry) entry.adds--;
  }

  /** Records that the deletion of objectKey was seen, or will never happen because it failed. */
  deletionObserved(controllerKey: string, objectKey: string): void {
    this.entries.get(controllerKey)?.deletes.delete(objectKey);
  }

  /** Forgets controllerKey, when its controller object is gone. */
  delete(controllerKey: string): void {
    this.entries.delete(controllerKey);
  }
}
