// The pod lifecycle event generator (PLEG). It relists the runtime every
// second and triggers a sync of each pod whose sandboxes or containers changed
// state, so a container that exits is noticed without a sync per pod per second.

import type { Logger } from '../api/log.js';
import { stateFingerprint, type ObservedPod, type RuntimeCache } from './runtime-state.js';

export interface PlegOptions {
  cache: RuntimeCache;
  logger: Logger;
  intervalMs?: number;
  /** Called with the uid of each pod whose runtime state changed. */
  onChange(uid: string): void;
  /** Called after each relist with every pod the runtime holds. */
  onRelist?(pods: Map<string, ObservedPod>): void;
}

export class Pleg {
  private fingerprints = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: PlegOptions) {}

  start(): void {
    this.running = true;
    this.timer = setTimeout(() => void this.relist(), this.options.intervalMs ?? 1000);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private async relist(): Promise<void> {
    try {
      const pods = await this.options.cache.observeAll();
      const current = new Map<string, string>();
      for (const [uid, pod] of pods) current.set(uid, stateFingerprint(pod));
      for (const [uid, fingerprint] of current) {
        if (this.fingerprints.get(uid) !== fingerprint) this.options.onChange(uid);
      }
      for (const uid of this.fingerprints.keys()) if (!current.has(uid)) this.options.onChange(uid);
      this.fingerprints = current;
      this.options.onRelist?.(pods);
    } catch (error) {
      this.options.logger.warn('Runtime relist failed', { err: error });
    }
    if (this.running) this.timer = setTimeout(() => void this.relist(), this.options.intervalMs ?? 1000);
  }
}
