// A binary heap with lookup and removal by key, for the active and backoff
// queues: both must drop or replace a pod that changes while it waits.

export class KeyedHeap<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly keyOf: (item: T) => string, private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): T | undefined {
    const position = this.index.get(key);
    return position === undefined ? undefined : this.items[position];
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds an item, or replaces the item with the same key and restores the order. */
  push(item: T): void {
    const key = this.keyOf(item);
    const position = this.index.get(key);
    if (position !== undefined) {
      this.items[position] = item;
      this.fix(position);
      return;
    }
    this.items.push(item);
    this.index.set(key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    if (this.items.length === 0) return undefined;
    return this.removeAt(0);
  }

  delete(key: string): T | undefined {
    const position = this.index.get(key);
    return position === undefined ? undefined : this.removeAt(position);
  }

  values(): readonly T[] {
    return this.items;
  }

  private removeAt(position: number): T {
    const removed = this.items[position];
    const last = this.items.length - 1;
    this.swap(position, last);
    this.items.pop();
    this.index.delete(this.keyOf(removed));
    if (position < this.items.length) this.fix(position);
    return removed;
  }

  private fix(position: number): void {
    if (!this.up(position)) this.down(position);
  }

  private up(position: number): boolean {
    let moved = false;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (!this.less(this.items[position], this.items[parent])) break;
      this.swap(position, parent);
      position = parent;
      moved = true;
    }
    return moved;
  }

  private down(position: number): void {
    const length = this.items.length;
    for (;;) {
      const left = 2 * position + 1;
      if (left >= length) return;
      const right = left + 1;
      const child = right < length && this.less(this.items[right], this.items[left]) ? right : left;
      if (!this.less(this.items[child], this.items[position])) return;
      this.swap(position, child);
      position = child;
    }
  }

  private swap(a: number, b: number): void {
    if (a === b) return;
    const itemA = this.items[a];
    const itemB = this.items[b];
    this.items[a] = itemB;
    this.items[b] = itemA;
    this.index.set(this.keyOf(itemB), a);
    this.index.set(this.keyOf(itemA), b);
  }
}
