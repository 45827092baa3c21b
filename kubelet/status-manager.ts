// Writes pod statuses through the pods/status subresource, only when they
// change. A 409 Conflict means the pod moved on since it was read, so the
// manager reads it again and retries with the fresh resourceVersion.

import { isConflict, isNotFound, type ApiClient } from '../api/client.js';
import type { ReadonlyDeep } from '../api/informer.js';
import type { Logger } from '../api/log.js';
import { pods } from '../api/resources.js';
import type { Pod, PodStatus } from '../api/types.js';

const maxConflictRetries = 5;

export class StatusManager {
  private readonly written = new Map<string, PodStatus>();
  /** The pod as our last write returned it, which is often newer than the informer's copy. */
  private readonly latest = new Map<string, Pod>();

  constructor(private readonly client: ApiClient, private readonly logger: Logger) {}

  /** Returns the status last written for the pod, or the one the API holds. */
  previous(pod: ReadonlyDeep<Pod>): ReadonlyDeep<PodStatus> | undefined {
    return this.written.get(pod.metadata.uid ?? '') ?? pod.status;
  }

  /** Writes status unless it equals the last one written; returns whether it wrote. */
  async setPodStatus(pod: ReadonlyDeep<Pod>, status: PodStatus): Promise<boolean> {
    const uid = pod.metadata.uid ?? '';
    if (JSON.stringify(this.previous(pod)) === JSON.stringify(status)) return false;

    let current: ReadonlyDeep<Pod> = newer(pod, this.latest.get(uid));
    for (let attempt = 0; ; attempt++) {
      try {
        const object = { ...structuredClone(current) as Pod, status };
        const updated = await this.client.updateStatus(pods, object);
        this.written.set(uid, status);
        this.latest.set(uid, updated);
        return true;
      } catch (error) {
        if (isNotFound(error)) return false; // The pod is gone: nothing left to report on.
        if (!isConflict(error) || attempt >= maxConflictRetries) throw new Error(`update status of pod ${pod.metadata.namespace}/${pod.metadata.name}`, { cause: error });
        this.logger.debug('Pod status conflict, retrying', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, uid, attempt });
        current = await this.client.get<Pod>(pods, pod.metadata.namespace, pod.metadata.name ?? '');
        if (current.metadata.uid !== uid) return false;
      }
    }
  }

  forget(uid: string): void {
    this.written.delete(uid);
    this.latest.delete(uid);
  }
}

/** Picks the copy with the higher resourceVersion; etcd-style versions are increasing integers. */
function newer(cached: ReadonlyDeep<Pod>, written: Pod | undefined): ReadonlyDeep<Pod> {
  if (written === undefined) return cached;
  const cachedVersion = Number(cached.metadata.resourceVersion);
  const writtenVersion = Number(written.metadata.resourceVersion);
  if (Number.isNaN(cachedVersion) || Number.isNaN(writtenVersion)) return cached;
  return writtenVersion > cachedVersion ? written : cached;
}
