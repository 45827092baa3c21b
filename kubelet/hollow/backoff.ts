// Per-key exponential backoff for retrying failed pod syncs, computed as
// client-go's ItemExponentialFailureRateLimiter does. The first retry waits
// initialMs, each further failure in a row doubles the wait up to maxMs, and a
// success resets the key.

export interface KeyedBackoffOptions {
  /** Wait before the first retry of a key, in milliseconds. */
  initialMs: number;
  /** Maximum wait before a retry, in milliseconds. */
  maxMs: number;
}

/** A retry that schedule() has set up. */
export interface ScheduledRetry {
  delayMs: number;
  /** Failures of the key in a row, this one included. */
  failures: number;
}

interface BackoffEntry {
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

/** Schedules at most one retry per key, with a wait that grows with the key's failures in a row. */
export class KeyedBackoff {
  private readonly entries = new Map<string, BackoffEntry>();

  constructor(private readonly options: KeyedBackoffOptions, private readonly retry: (key: string) => void) {
    const { initialMs, maxMs } = options;
    if (!(initialMs > 0) || !(maxMs >= initialMs)) throw new RangeError(`invalid backoff ${initialMs} ms to ${maxMs} ms: expected 0 < initial ≤ max`);
  }

  /** Records a failure of key and schedules its retry, replacing a retry of key that has not run yet. */
  schedule(key: string): ScheduledRetry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { failures: 0, timer: undefined };
      this.entries.set(key, entry);
    }
    entry.failures++;
    clearTimeout(entry.timer);
    // The exponent is capped so that the product stays finite after many failures.
    const delayMs = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(entry.failures - 1, 30));
    const scheduled = entry;
    scheduled.timer = setTimeout(() => {
      scheduled.timer = undefined;
      this.retry(key);
    }, delayMs);
    // A pending retry must not keep the process alive on its own.
    scheduled.timer.unref();
    return { delayMs, failures: entry.failures };
  }

  /** Returns whether key has a retry scheduled that has not run yet. */
  isWaiting(key: string): boolean {
    return this.entries.get(key)?.timer !== undefined;
  }

  /** Clears the failures of key and cancels its pending retry. */
  reset(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.entries.delete(key);
  }

  /** Cancels every pending retry and clears all failures. */
  stop(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
  }

  /** Number of keys with failures that no success has reset yet. */
  get size(): number {
    return this.entries.size;
  }
}
