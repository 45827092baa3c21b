// A bounded, in-memory log of recent changes, kept in revision order so a
// watch can resume from any revision inside the retained window. It plays
// the role of etcd's history before compaction. A resume from before the
// window fails with Expired, as kube-apiserver's "too old resource version".

import type { Change } from './interface.js';

export class ChangeLog {
  private readonly entries: (Change | undefined)[];
  private start = 0;
  private length = 0;

  /**
   * @param capacity the number of changes retained
   * @param compactedRevision every change after this revision is retained
   */
  constructor(readonly capacity: number, private compactedRevision: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`change log capacity must be a positive integer, got ${capacity}`);
    this.entries = new Array<Change | undefined>(capacity);
  }

  /** The newest revision that is no longer retained: a resume needs fromRevision ≥ this. */
  get oldestResumableRevision(): number {
    return this.compactedRevision;
  }

  append(change: Change): void {
    if (this.length === this.capacity) {
      const evicted = this.entries[this.start];
      if (evicted) this.compactedRevision = evicted.revision;
      this.entries[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.length--;
    }
    this.entries[(this.start + this.length) % this.capacity] = change;
    this.length++;
  }

  /** Returns the retained changes with a revision greater than fromRevision, oldest first. */
  since(fromRevision: number): Change[] {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.at(middle).revision <= fromRevision) low = middle + 1;
      else high = middle;
    }
    const changes: Change[] = [];
    for (let index = low; index < this.length; index++) changes.push(this.at(index));
    return changes;
  }

  private at(index: number): Change {
    const change = this.entries[(this.start + index) % this.capacity];
    if (!change) throw new Error(`change log slot ${index} is empty`);
    return change;
  }
}
