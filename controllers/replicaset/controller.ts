// The ReplicaSet controller keeps spec.replicas active pods for each
// ReplicaSet: it claims the pods its selector matches, creates or deletes
// pods to close the gap, and writes the observed status.

import { ApiClient, isConflict, isNotFound } from '../../api/client.js';
import { objectKey, type Informer, type ReadonlyDeep } from '../../api/informer.js';
import { selectorFromLabelSelector, type Selector } from '../../api/labels.js';
import { createLogger, type Logger } from '../../api/log.js';
import { pods as podResource, replicaSets as replicaSetResource } from '../../api/resources.js';
import type { OwnerReference, Pod, PodTemplateSpec, ReplicaSet, ReplicaSetStatus } from '../../api/types.js';
import { ControllerLoop, type ReconcileResult } from '../framework/controller.js';
import type { EventRecorder } from '../framework/events.js';
import { isNamespaceTerminating } from '../framework/errors.js';
import { Expectations } from '../framework/expectations.js';
import type { ControllerIndex } from '../framework/index.js';
import type { SharedInformers } from '../framework/informers.js';
import { claimDecision, controllerRefOf, identityOf, newControllerRef, removeOwnerRef, selectorOf, setControllerRef } from '../framework/owners.js';
import { updateLive } from '../framework/update.js';
import { isPodActive, isPodReady, type CachedPod } from '../framework/pods.js';
import { podsToDelete } from './scaledown.js';
import { calculateReplicaSetStatus, replicaSetStatusEqual, type ReplicaFailure } from './status.js';

/** At most this many pods are created or deleted in one sync, as upstream's burstReplicas. */
const burstReplicas = 500;

export interface ReplicaSetControllerOptions {
  client: ApiClient;
  informers: SharedInformers;
  recorder: EventRecorder;
  workers?: number;
  now?: () => number;
}

type CachedReplicaSet = ReadonlyDeep<ReplicaSet>;

export class ReplicaSetController {
  readonly loop: ControllerLoop;
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<Pod>;
  private readonly podIndex: ControllerIndex<Pod>;
  private readonly expectations = new Expectations();
  private readonly now: () => number;
  private readonly logger: Logger = createLogger('replicaset-controller');

  constructor(options: ReplicaSetControllerOptions) {
    this.client = options.client;
    this.recorder = options.recorder;
    this.now = options.now ?? Date.now;
    this.replicaSets = options.informers.get<ReplicaSet>(replicaSetResource);
    this.pods = options.informers.get<Pod>(podResource);
    this.podIndex = options.informers.controllerIndex<Pod>(podResource);
    this.loop = new ControllerLoop({ name: 'replicaset-controller', reconciler: this, workers: options.workers, logger: this.logger });

    this.replicaSets.addEventHandler({
      add: (rs) => this.loop.enqueue(objectKey(rs)),
      update: (_old, rs) => this.loop.enqueue(objectKey(rs)),
      delete: (rs) => {
        this.expectations.delete(objectKey(rs));
        this.loop.enqueue(objectKey(rs));
      },
    });
    this.pods.addEventHandler({
      add: (pod) => this.podAdded(pod),
      update: (old, pod) => this.podUpdated(old, pod),
      delete: (pod) => this.podDeleted(pod),
    });
  }

  /** Returns the cache key of the ReplicaSet that controls pod, if it exists. */
  private owningReplicaSet(pod: CachedPod, controllerRef = controllerRefOf(pod.metadata)): string | undefined {
    if (!controllerRef || controllerRef.kind !== 'ReplicaSet') return undefined;
    const key = `${pod.metadata.namespace}/${controllerRef.name}`;
    return this.replicaSets.get(key)?.metadata.uid === controllerRef.uid ? key : undefined;
  }

  /** Enqueues every ReplicaSet whose selector matches an orphan pod, so one of them adopts it. */
  private enqueueMatchingReplicaSets(pod: CachedPod): void {
    for (const rs of this.replicaSets.list()) {
      if (rs.metadata.namespace !== pod.metadata.namespace) continue;
      const selector = selectorOf(rs.spec.selector);
      if (!selector.empty && selector.matches(pod.metadata.labels)) this.loop.enqueue(objectKey(rs));
    }
  }

  private podAdded(pod: CachedPod): void {
    if (pod.metadata.deletionTimestamp !== undefined) {
      this.podDeleted(pod);
      return;
    }
    const owner = this.owningReplicaSet(pod);
    if (owner) {
      this.expectations.creationObserved(owner);
      this.loop.enqueue(owner);
    } else if (!controllerRefOf(pod.metadata)) {
      this.enqueueMatchingReplicaSets(pod);
    }
  }

  private podUpdated(old: CachedPod, pod: CachedPod): void {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const owner = this.owningReplicaSet(pod);
    if (pod.metadata.deletionTimestamp !== undefined && old.metadata.deletionTimestamp === undefined && owner) {
      // A graceful delete is seen as an update; it already counts as the deletion the controller asked for.
      this.expectations.deletionObserved(owner, objectKey(pod));
    }
    const oldOwner = this.owningReplicaSet(old);
    if (oldOwner && oldOwner !== owner) this.loop.enqueue(oldOwner);
    if (owner) {
      this.loop.enqueue(owner);
      // A pod that just became ready turns available minReadySeconds later; look again then.
      const minReadySeconds = this.replicaSets.get(owner)?.spec.minReadySeconds ?? 0;
      if (minReadySeconds > 0 && !isPodReady(old) && isPodReady(pod)) this.loop.queue.addAfter(owner, minReadySeconds * 1000 + 50);
    } else if (!controllerRefOf(pod.metadata)) {
      this.enqueueMatchingReplicaSets(pod);
    }
  }

  private podDeleted(pod: CachedPod): void {
    const owner = this.owningReplicaSet(pod);
    if (!owner) return;
    this.expectations.deletionObserved(owner, objectKey(pod));
    this.loop.enqueue(owner);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const rs = this.replicaSets.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const selector = selectorOf(rs.spec.selector);
    if (selector.empty) {
      // The apiserver rejects an empty selector; an object that has one anyway selects nothing here.
      this.logger.warn('Ignoring ReplicaSet with an empty selector', { replicaset: key });
      return;
    }

    // Expectations are read before the pods, so pods seen below include every creation they wait for.
    const needsSync = this.expectations.satisfied(key) && rs.metadata.deletionTimestamp === undefined;
    const candidates = [...this.podIndex.controlledBy(rs.metadata.uid), ...this.podIndex.orphans(rs.metadata.namespace)].filter(isPodActive);
    const pods = await this.claimPods(rs, selector, candidates);

    let syncError: unknown;
    let failure: ReplicaFailure | undefined;
    if (needsSync) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (error) {
        syncError = error;
        const reason = pods.length < (rs.spec.replicas ?? 1) ? 'FailedCreate' : 'FailedDelete';
        failure = { reason, message: rootMessage(error) };
      }
    }

    const requeue = await this.updateStatus(rs, pods, failure);
    if (syncError !== undefined) throw syncError;
    return requeue;
  }

  /** Adopts matching orphans and releases owned pods that stopped matching; returns the pods rs now owns. */
  private async claimPods(rs: CachedReplicaSet, selector: Selector, candidates: readonly CachedPod[]): Promise<CachedPod[]> {
    const owned: CachedPod[] = [];
    let ownerChecked = false;
    for (const pod of candidates) {
      const decision = claimDecision(rs, selector, pod);
      if (decision === 'keep') owned.push(pod);
      if (decision === 'release') await this.writePod(pod, 'release', (live) => removeOwnerRef(live, rs.metadata.uid ?? ''));
      if (decision !== 'adopt') continue;

      // Before the first adoption, make sure rs was not deleted and recreated behind the cache.
      if (!ownerChecked) {
        await this.recheckOwner(rs);
        ownerChecked = true;
      }
      const adopted = await this.writePod(pod, 'adopt', (live) => {
        // The live pod may have gained a controller since it was cached; then it is not ours to take.
        if (controllerRefOf(live.metadata)) return false;
        setControllerRef(live, newControllerRef(replicaSetResource, rs));
      });
      if (adopted) owned.push(adopted);
    }
    return owned;
  }

  private async recheckOwner(rs: CachedReplicaSet): Promise<void> {
    const fresh = await this.client.get<ReplicaSet>(replicaSetResource, rs.metadata.namespace, rs.metadata.name ?? '');
    if (fresh.metadata.uid !== rs.metadata.uid || fresh.metadata.deletionTimestamp) {
      throw new Error(`replicaset ${objectKey(rs)} changed since it was cached (uid ${fresh.metadata.uid}), not adopting`);
    }
  }

  /** Changes a pod's ownerReferences on the live object; a pod that is gone is skipped. */
  private async writePod(pod: CachedPod, action: 'adopt' | 'release', change: (live: Pod) => boolean | void): Promise<CachedPod | undefined> {
    try {
      const written = await updateLive<Pod>(this.client, podResource, pod, change);
      if (written) this.logger.debug(action === 'adopt' ? 'Adopted pod' : 'Released pod', { pod: objectKey(pod) });
      return written;
    } catch (error) {
      throw new Error(`${action} pod ${objectKey(pod)}`, { cause: error });
    }
  }

  /** Creates or deletes pods so that rs has spec.replicas active pods. */
  private async manageReplicas(key: string, rs: CachedReplicaSet, pods: readonly CachedPod[]): Promise<void> {
    const desired = rs.spec.replicas ?? 1;
    const diff = pods.length - desired;

    if (diff < 0) {
      const count = Math.min(-diff, burstReplicas);
      this.logger.debug('Too few replicas', { replicaset: key, need: desired, have: pods.length, creating: count });
      this.expectations.expectCreations(key, count);
      const created = await slowStartBatch(count, () => this.createPod(rs));
      for (let skipped = count - created.successes; skipped > 0; skipped--) this.expectations.creationObserved(key);
      if (created.error !== undefined) throw created.error;
      return;
    }

    if (diff > 0) {
      const count = Math.min(diff, burstReplicas);
      this.logger.debug('Too many replicas', { replicaset: key, need: desired, have: pods.length, deleting: count });
      const victims = podsToDelete(pods, count);
      this.expectations.expectDeletions(key, victims.map(objectKey));
      const results = await Promise.allSettled(victims.map((pod) => this.deletePod(key, rs, pod)));
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
    }
  }

  private async createPod(rs: CachedReplicaSet): Promise<void> {
    const template = structuredClone(rs.spec.template) as PodTemplateSpec;
    const controllerRef: OwnerReference = newControllerRef(replicaSetResource, rs);
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: template.metadata?.labels,
        annotations: template.metadata?.annotations,
        finalizers: template.metadata?.finalizers,
        ownerReferences: [controllerRef],
      },
      spec: template.spec,
    };
    try {
      const created = await this.client.create<Pod>(podResource, pod);
      this.recorder.event(identityOf(replicaSetResource, rs), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (error) {
      // Creation can only fail while the namespace is being deleted; the namespace controller removes the ReplicaSet soon.
      if (isNamespaceTerminating(error)) {
        this.expectations.creationObserved(objectKey(rs));
        return;
      }
      this.recorder.event(identityOf(replicaSetResource, rs), 'Warning', 'FailedCreate', `Error creating: ${error instanceof Error ? error.message : String(error)}`);
      throw new Error(`create pod for replicaset ${objectKey(rs)}`, { cause: error });
    }
  }

  private async deletePod(key: string, rs: CachedReplicaSet, pod: CachedPod): Promise<void> {
    const podKey = objectKey(pod);
    try {
      await this.client.delete(podResource, pod.metadata.namespace, pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
      this.recorder.event(identityOf(replicaSetResource, rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (error) {
      // The watch will never report a deletion that failed, so stop waiting for it.
      this.expectations.deletionObserved(key, podKey);
      if (isNotFound(error)) return;
      this.recorder.event(identityOf(replicaSetResource, rs), 'Warning', 'FailedDelete', `Error deleting: ${error instanceof Error ? error.message : String(error)}`);
      throw new Error(`delete pod ${podKey}`, { cause: error });
    }
  }

  /** Writes the observed status when it changed; returns a requeue for pods that become available later. */
  private async updateStatus(rs: CachedReplicaSet, pods: readonly CachedPod[], failure: ReplicaFailure | undefined): Promise<ReconcileResult> {
    const observed = calculateReplicaSetStatus(rs, pods, this.now(), failure);
    const requeue = observed.nextAvailableInMs !== undefined ? { requeueAfterMs: observed.nextAvailableInMs + 50 } : undefined;
    if (replicaSetStatusEqual(rs.status, observed.status)) return requeue;

    const updated: ReplicaSet = { ...structuredClone(rs) as ReplicaSet, status: observed.status };
    try {
      await this.client.updateStatus<ReplicaSet>(replicaSetResource, updated);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (!isConflict(error)) throw new Error(`update status of replicaset ${objectKey(rs)}`, { cause: error });
      // The cache is behind our own last write; retry once on the live object, as upstream does.
      await this.retryStatusOnLatest(rs, observed.status);
    }
    return requeue;
  }

  private async retryStatusOnLatest(rs: CachedReplicaSet, status: ReplicaSetStatus): Promise<void> {
    try {
      const latest = await this.client.get<ReplicaSet>(replicaSetResource, rs.metadata.namespace, rs.metadata.name ?? '');
      if (latest.metadata.uid !== rs.metadata.uid || latest.metadata.generation !== rs.metadata.generation) return;
      await this.client.updateStatus<ReplicaSet>(replicaSetResource, { ...latest, status });
    } catch (error) {
      if (isNotFound(error)) return;
      throw new Error(`update status of replicaset ${objectKey(rs)}`, { cause: error });
    }
  }
}

/**
 * Runs count calls of fn in batches of 1, 2, 4, … and stops after a batch
 * with a failure, as upstream does: a quota or admission error then costs
 * one request rather than a burst of 500.
 */
export async function slowStartBatch(count: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let successes = 0;
  for (let batch = Math.min(1, count); successes < count; batch = Math.min(batch * 2, count - successes)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failure = results.find((result) => result.status === 'rejected');
    successes += results.filter((result) => result.status === 'fulfilled').length;
    if (failure) return { successes, error: failure.reason };
  }
  return { successes };
}

/** Returns the message of the innermost cause, which names what the apiserver rejected. */
function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
