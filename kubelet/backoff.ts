// Exponential back-off keyed by a string, as the kubelet uses for crash loops
// and image pulls. The first failure retries at once and arms the base delay.
// Each later one doubles the delay up to the maximum. An entry left alone for
// twice the maximum starts over from the base.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  now?: () => number;
}

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Records a retry at now and returns the delay that the retry after it must wait. */
  next(key: string): number {
    const now = this.now();
    const entry = this.entries.get(key);
    const delayMs = entry === undefined || this.expired(entry, now) ? this.options.baseMs : Math.min(entry.delayMs * 2, this.options.maxMs);
    this.entries.set(key, { delayMs, lastUpdate: now });
    return delayMs;
  }

  /** Returns how long a retry of key must still wait after a failure at eventTime, or 0 when it may go now. */
  remaining(key: string, eventTime: number): number {
    const entry = this.entries.get(key);
    if (entry === undefined || this.expired(entry, this.now())) return 0;
    return Math.max(0, eventTime + entry.delayMs - this.now());
  }

  /** Returns the current delay of key, for messages such as "back-off 20s". */
  delay(key: string): number {
    return this.entries.get(key)?.delayMs ?? this.options.baseMs;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose key starts with prefix, such as all of a pod's containers. */
  resetPrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  private expired(entry: Entry, now: number): boolean {
    return now - entry.lastUpdate > 2 * this.options.maxMs;
  }
}

/** Formats a delay as Go's time.Duration prints whole seconds: 10s, 1m20s, 5m0s. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
