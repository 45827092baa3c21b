// The scheduling queue, in kube-scheduler's three parts:
// - activeQ: pods ready to be tried, highest priority first, then oldest;
// - backoffQ: pods that failed and wait out an exponential backoff;
// - unschedulablePods: pods that fit nowhere and wait for a cluster event
//   (a node added or changed, a pod removed) that could let them fit.
// A pod that waited in unschedulablePods longer than maxUnschedulableMs is
// tried again anyway, in case an event was missed.

import { KeyedHeap } from './heap.js';
import type { PodInfo } from './podinfo.js';

export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod first entered the queue, in ms since the epoch; orders pods of equal priority. */
  readonly initialTimestamp: number;
  /** When the pod last entered its current sub-queue. */
  timestamp: number;
  attempts: number;
  backoffExpiry: number;
  /** Filters that rejected the pod on its last attempt; only events that concern them move it. */
  unschedulablePlugins: ReadonlySet<string>;
}

/** A change in the cluster, and the filters whose verdict it could change. */
export interface ClusterEvent {
  label: string;
  /** Undefined means any filter. */
  plugins?: ReadonlySet<string>;
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxUnschedulableMs?: number;
  now?: () => number;
}

export class SchedulingQueue {
  private readonly activeQ = new KeyedHeap<QueuedPodInfo>((entry) => entry.podInfo.key, (a, b) =>
    a.podInfo.priority !== b.podInfo.priority ? a.podInfo.priority > b.podInfo.priority : a.timestamp < b.timestamp);
  private readonly backoffQ = new KeyedHeap<QueuedPodInfo>((entry) => entry.podInfo.key, (a, b) => a.backoffExpiry < b.backoffExpiry);
  private readonly unschedulablePods = new Map<string, QueuedPodInfo>();
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly now: () => number;
  private waiters: ((entry: QueuedPodInfo | undefined) => void)[] = [];
  private backoffTimer: NodeJS.Timeout | undefined;
  private backoffTimerAt = Infinity;
  private readonly flushTimer: NodeJS.Timeout;
  private closed = false;
  /** Incremented by every pop; compared with moveRequestCycle to catch events during an attempt. */
  schedulingCycle = 0;
  private moveRequestCycle = -1;

  constructor(options: QueueOptions = {}) {
    this.initialBackoffMs = options.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = options.maxUnschedulableMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.flushTimer = setInterval(() => this.flushUnschedulableLeftover(), Math.min(30_000, this.maxUnschedulableMs));
    this.flushTimer.unref();
  }

  get length(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulablePods.size };
  }

  has(key: string): boolean {
    return this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulablePods.has(key);
  }

  /** Adds a new pending pod to activeQ. */
  add(podInfo: PodInfo): void {
    const now = this.now();
    this.delete(podInfo.key);
    this.pushActive({ podInfo, initialTimestamp: now, timestamp: now, attempts: 0, backoffExpiry: 0, unschedulablePlugins: new Set() });
  }

  /**
   * Replaces the queued version of a pod. A pod waiting in
   * unschedulablePods whose spec or labels changed is tried again, since
   * the change (a new toleration, say) may let it fit.
   */
  update(podInfo: PodInfo, specChanged: boolean): void {
    const key = podInfo.key;
    const queued = this.activeQ.get(key) ?? this.backoffQ.get(key);
    if (queued) {
      queued.podInfo = podInfo;
      return;
    }
    const unschedulable = this.unschedulablePods.get(key);
    if (!unschedulable) {
      this.add(podInfo);
      return;
    }
    unschedulable.podInfo = podInfo;
    if (specChanged) this.requeue(unschedulable);
  }

  delete(key: string): void {
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulablePods.delete(key);
  }

  /** Resolves with the next pod to schedule, waiting while activeQ is empty; resolves undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const entry = this.activeQ.pop();
    if (entry) return Promise.resolve(this.started(entry));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Puts back a pod whose attempt failed. If a cluster event arrived during
   * the attempt, the pod goes to backoff at once rather than waiting for
   * another event, because the event it needed may be the one just missed.
   */
  addUnschedulable(entry: QueuedPodInfo, podSchedulingCycle: number): void {
    const now = this.now();
    entry.timestamp = now;
    entry.backoffExpiry = now + this.backoffDuration(entry.attempts);
    if (this.moveRequestCycle >= podSchedulingCycle) this.pushBackoff(entry);
    else this.unschedulablePods.set(entry.podInfo.key, entry);
  }

  /** Puts back a pod whose attempt failed for a reason other than fit, such as a failed binding: it retries after its backoff. */
  addBackoff(entry: QueuedPodInfo): void {
    const now = this.now();
    entry.timestamp = now;
    entry.backoffExpiry = now + this.backoffDuration(entry.attempts);
    this.pushBackoff(entry);
  }

  /** Moves the unschedulable pods that the event could help to backoffQ or activeQ. */
  moveOnEvent(event: ClusterEvent): number {
    this.moveRequestCycle = this.schedulingCycle;
    let moved = 0;
    for (const entry of [...this.unschedulablePods.values()]) {
      if (event.plugins && entry.unschedulablePlugins.size > 0 && ![...entry.unschedulablePlugins].some((plugin) => event.plugins?.has(plugin))) continue;
      this.requeue(entry);
      moved++;
    }
    return moved;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.flushTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    for (const resolve of this.waiters) resolve(undefined);
    this.waiters = [];
  }

  private started(entry: QueuedPodInfo): QueuedPodInfo {
    this.schedulingCycle++;
    entry.attempts++;
    return entry;
  }

  private requeue(entry: QueuedPodInfo): void {
    this.unschedulablePods.delete(entry.podInfo.key);
    if (entry.backoffExpiry > this.now()) this.pushBackoff(entry);
    else this.pushActive(entry);
  }

  private pushActive(entry: QueuedPodInfo): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.started(entry));
    else this.activeQ.push(entry);
  }

  private pushBackoff(entry: QueuedPodInfo): void {
    this.backoffQ.push(entry);
    this.scheduleBackoffFlush();
  }

  /** Doubles from initialBackoffMs per failed attempt, up to maxBackoffMs. */
  private backoffDuration(attempts: number): number {
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  }

  private scheduleBackoffFlush(): void {
    const head = this.backoffQ.peek();
    if (!head || this.closed || head.backoffExpiry >= this.backoffTimerAt) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimerAt = head.backoffExpiry;
    this.backoffTimer = setTimeout(() => this.flushBackoffCompleted(), Math.max(0, head.backoffExpiry - this.now()));
  }

  private flushBackoffCompleted(): void {
    this.backoffTimer = undefined;
    this.backoffTimerAt = Infinity;
    const now = this.now();
    for (let head = this.backoffQ.peek(); head && head.backoffExpiry <= now; head = this.backoffQ.peek()) {
      this.backoffQ.pop();
      this.pushActive(head);
    }
    this.scheduleBackoffFlush();
  }

  private flushUnschedulableLeftover(): void {
    const now = this.now();
    for (const entry of [...this.unschedulablePods.values()]) {
      if (now - entry.timestamp >= this.maxUnschedulableMs) this.requeue(entry);
    }
  }
}
