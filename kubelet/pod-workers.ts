// One worker per pod, keyed by uid. A worker runs one sync at a time. An
// update that arrives during a sync marks the worker dirty, so it syncs again
// right after with the newest pod. Between changes a worker resyncs on a
// timer, and a failed sync retries with a growing delay.

import type { ReadonlyDeep } from '../api/informer.js';
import type { Logger } from '../api/log.js';
import type { Pod } from '../api/types.js';

/**
 * Syncs one pod. pod is undefined once the API no longer has it. The result is
 * the delay before the next sync, or undefined for the default resync. For a
 * pod that is gone, a normal return means it has been cleaned up.
 */
export type SyncPodFunction = (uid: string, pod: ReadonlyDeep<Pod> | undefined) => Promise<number | undefined>;

interface Worker {
  pod: ReadonlyDeep<Pod> | undefined;
  syncing: boolean;
  dirty: boolean;
  failures: number;
  timer?: NodeJS.Timeout;
  dueAt: number;
}

export interface PodWorkersOptions {
  sync: SyncPodFunction;
  logger: Logger;
  /** Sync period of a pod nothing happens to. */
  resyncIntervalMs?: number;
}

const maxRetryDelayMs = 30_000;

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private readonly resyncIntervalMs: number;
  private stopped = false;
  private readonly idleWaiters = new Set<() => void>();

  constructor(private readonly options: PodWorkersOptions) {
    this.resyncIntervalMs = options.resyncIntervalMs ?? 10_000;
  }

  /** Records the newest pod from the API and syncs it soon. */
  update(pod: ReadonlyDeep<Pod>): void {
    const uid = pod.metadata.uid ?? '';
    const worker = this.workers.get(uid) ?? this.create(uid);
    worker.pod = pod;
    this.schedule(uid, worker, 0);
  }

  /** Notes that the API no longer has the pod; its worker cleans up and then ends. */
  remove(uid: string): void {
    const worker = this.workers.get(uid) ?? this.create(uid);
    worker.pod = undefined;
    this.schedule(uid, worker, 0);
  }

  /** Asks for a sync of a pod now, after a runtime or probe change. */
  trigger(uid: string): void {
    const worker = this.workers.get(uid);
    if (worker !== undefined) this.schedule(uid, worker, 0);
  }

  has(uid: string): boolean {
    return this.workers.has(uid);
  }

  stop(): void {
    this.stopped = true;
    for (const worker of this.workers.values()) clearTimeout(worker.timer);
  }

  /** Resolves when no sync is running, so shutdown does not cut a runtime call in half. */
  async idle(): Promise<void> {
    while ([...this.workers.values()].some((worker) => worker.syncing)) {
      await new Promise<void>((resolve) => this.idleWaiters.add(resolve));
    }
  }

  private create(uid: string): Worker {
    const worker: Worker = { pod: undefined, syncing: false, dirty: false, failures: 0, dueAt: Infinity };
    this.workers.set(uid, worker);
    return worker;
  }

  private schedule(uid: string, worker: Worker, delayMs: number): void {
    if (this.stopped) return;
    if (worker.syncing) {
      if (delayMs === 0) worker.dirty = true;
      else if (!worker.dirty) this.setTimer(uid, worker, delayMs);
      return;
    }
    this.setTimer(uid, worker, delayMs);
  }

  private setTimer(uid: string, worker: Worker, delayMs: number): void {
    const dueAt = Date.now() + delayMs;
    if (worker.timer !== undefined && worker.dueAt <= dueAt) return;
    clearTimeout(worker.timer);
    worker.dueAt = dueAt;
    worker.timer = setTimeout(() => {
      worker.timer = undefined;
      worker.dueAt = Infinity;
      void this.run(uid, worker);
    }, delayMs);
  }

  private async run(uid: string, worker: Worker): Promise<void> {
    if (this.stopped) return;
    if (worker.syncing) {
      worker.dirty = true;
      return;
    }
    worker.syncing = true;
    worker.dirty = false;
    const pod = worker.pod;
    let next: number | undefined;
    let failed = false;
    try {
      next = await this.options.sync(uid, pod);
      worker.failures = 0;
    } catch (error) {
      failed = true;
      worker.failures++;
      next = Math.min(maxRetryDelayMs, 500 * 2 ** Math.min(worker.failures - 1, 8));
      this.options.logger.error('Pod sync failed, retrying', {
        pod: pod ? `${pod.metadata.namespace}/${pod.metadata.name}` : undefined, uid, retryInMs: next, err: error,
      });
    } finally {
      worker.syncing = false;
      this.idleWaiters.forEach((resolve) => resolve());
      this.idleWaiters.clear();
    }

    if (worker.pod === undefined && pod === undefined && !failed && !worker.dirty) {
      // The pod is gone from the API and its sync cleaned up: the worker is done.
      clearTimeout(worker.timer);
      this.workers.delete(uid);
      return;
    }
    if (worker.dirty) this.schedule(uid, worker, 0);
    else this.schedule(uid, worker, next ?? this.resyncIntervalMs);
  }
}
