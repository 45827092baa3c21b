// The one loop every controller runs. Event handlers only enqueue keys
// (`namespace/name`). A worker takes a key and calls reconcile(key), which
// re-reads the cache and drives the cluster toward the desired state.
//
// The contract of reconcile(key):
// - it resolves with nothing: the key is done, and its backoff is forgotten;
// - it resolves with { requeueAfterMs }: the key comes back after that delay;
// - it throws a TerminalError: the error is logged and the key is not retried;
// - it throws anything else: the error is logged and the key is retried with
//   per-key exponential backoff.

import { randomUUID } from 'node:crypto';
import { findApiError, isConflict } from '../../api/client.js';
import { createLogger, type Logger } from '../../api/log.js';
import { WorkQueue, type WorkQueueOptions } from './workqueue.js';

export type ReconcileResult = void | { requeueAfterMs: number };

/** An error that retrying cannot fix, such as an invalid object; the key is dropped. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult>;
}

export interface ControllerLoopOptions {
  name: string;
  reconciler: Reconciler;
  workers?: number;
  queue?: WorkQueueOptions;
  logger?: Logger;
}

/** Runs workers that feed queued keys to a reconciler, one key at a time per worker. */
export class ControllerLoop {
  readonly queue: WorkQueue<string>;
  readonly name: string;
  private readonly reconciler: Reconciler;
  private readonly logger: Logger;
  private readonly workers: number;
  private running: Promise<void>[] = [];

  constructor(options: ControllerLoopOptions) {
    this.name = options.name;
    this.reconciler = options.reconciler;
    this.workers = options.workers ?? 1;
    this.queue = new WorkQueue(options.queue);
    this.logger = options.logger ?? createLogger(options.name);
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  start(): void {
    this.logger.info('Starting controller', { workers: this.workers });
    for (let i = 0; i < this.workers; i++) this.running.push(this.work());
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.running);
    this.running = [];
    this.logger.info('Stopped controller');
  }

  private async work(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      await this.process(key);
      this.queue.done(key);
    }
  }

  /** Reconciles one key and decides, from the outcome, whether and when it comes back. */
  private async process(key: string): Promise<void> {
    const started = Date.now();
    try {
      const result = await this.reconciler.reconcile(key);
      this.queue.forget(key);
      if (result && result.requeueAfterMs >= 0) this.queue.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const reconcileId = randomUUID().slice(0, 8);
      if (error instanceof TerminalError) {
        this.queue.forget(key);
        this.logger.error('Reconcile failed permanently, not retrying', { key, reconcileId, err: error });
        return;
      }
      const retries = this.queue.numRequeues(key);
      this.queue.addRateLimited(key);
      // Conflicts come from a stale cache and resolve on the next pass, so they are not worth a warning.
      const level = causedByConflict(error) && retries < 5 ? 'debug' : 'warn';
      this.logger[level]('Reconcile failed, retrying', { key, reconcileId, retries, retryInMs: this.queue.backoff(retries), err: error });
    } finally {
      this.logger.debug('Finished syncing', { key, durationMs: Date.now() - started });
    }
  }
}

/** Returns whether error, or an error in its cause chain, is a 409 Conflict. */
function causedByConflict(error: unknown): boolean {
  return isConflict(findApiError(error));
}
