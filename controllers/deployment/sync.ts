// One sync of one Deployment: find or create its new ReplicaSet, take one
// step of the rollout (or of a scale), clean up old revisions and write the
// status. A DeploymentSync lives for a single reconcile. It tracks the
// ReplicaSets it rewrote and the Deployment's latest resourceVersion, so
// later writes in the same sync build on earlier ones.

import { ApiClient, isAlreadyExists, isNotFound } from '../../api/client.js';
import { objectKey, type ReadonlyDeep } from '../../api/informer.js';
import type { Logger } from '../../api/log.js';
import { deployments as deploymentResource, replicaSets as replicaSetResource } from '../../api/resources.js';
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from '../../api/types.js';
import type { ReconcileResult } from '../framework/controller.js';
import type { EventRecorder } from '../framework/events.js';
import { isNamespaceTerminating } from '../framework/errors.js';
import { controllerRefOf, identityOf, newControllerRef } from '../framework/owners.js';
import type { CachedPod } from '../framework/pods.js';
import { canonicalJson, computePodTemplateHash, podTemplateHashLabel, templatesEqualIgnoringHash } from './hash.js';
import { proportionalScale } from './proportional.js';
import {
  annotationsEqual, byCreation, byRevision, desiredReplicasAnnotation, isActive, maxRevision, replicaSetAnnotations,
  replicasAnnotations, replicasOf, revisionAnnotation, revisionOf, type CachedDeployment, type CachedReplicaSet,
} from './replicasets.js';
import { newReplicaSetReplicas, oldReplicaSetsScaleDown } from './rolling.js';
import {
  calculateStatus, getCondition, hasProgressDeadline, isComplete, msUntilDeadline, newCondition, reasons, setCondition,
  updateProgressingCondition, updateReplicaFailureCondition,
} from './status.js';

export interface SyncDependencies {
  client: ApiClient;
  recorder: EventRecorder;
  logger: Logger;
  now: () => number;
  /** The pods whose controller is the ReplicaSet with this uid, from the cache. */
  podsOf(replicaSetUid: string | undefined): readonly CachedPod[];
}

interface ReplicaSetsOfRevision {
  newRS: CachedReplicaSet | undefined;
  oldReplicaSets: CachedReplicaSet[];
}

export class DeploymentSync {
  private readonly conditions: DeploymentCondition[];
  /** ReplicaSets written during this sync by uid, newer than the cached copies passed in. */
  private readonly written = new Map<string, CachedReplicaSet>();
  private resourceVersion: string | undefined;
  private annotations: Record<string, string>;

  constructor(private readonly deps: SyncDependencies, private readonly d: CachedDeployment) {
    this.conditions = structuredClone(d.status?.conditions ?? []) as DeploymentCondition[];
    this.resourceVersion = d.metadata.resourceVersion;
    this.annotations = { ...(d.metadata.annotations ?? {}) };
  }

  private get key(): string {
    return objectKey(this.d);
  }

  /** Records on the Progressing condition that the Deployment was paused or resumed, as upstream does. */
  checkPausedConditions(): void {
    if (!hasProgressDeadline(this.d)) return;
    const reason = getCondition(this.conditions, 'Progressing')?.reason;
    const now = this.deps.now();
    if (this.d.spec.paused && reason !== reasons.paused) {
      setCondition(this.conditions, newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', now));
    } else if (!this.d.spec.paused && reason === reasons.paused) {
      setCondition(this.conditions, newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', now));
    }
  }

  /** Returns whether spec.replicas changed since the active ReplicaSets were last sized. */
  async isScalingEvent(replicaSets: readonly CachedReplicaSet[]): Promise<boolean> {
    const { newRS, oldReplicaSets } = await this.replicaSetsOfRevision(replicaSets, false);
    const all = newRS ? [newRS, ...oldReplicaSets] : oldReplicaSets;
    return all.filter(isActive).some((rs) => rs.metadata.annotations?.[desiredReplicasAnnotation] !== String(replicasOf(this.d)));
  }

  /** Scales the ReplicaSets for a paused Deployment or a change of spec.replicas, without rolling out. */
  async syncScale(replicaSets: readonly CachedReplicaSet[]): Promise<ReconcileResult> {
    const { newRS, oldReplicaSets } = await this.replicaSetsOfRevision(replicaSets, false);
    const sizes = proportionalScale(this.d, newRS, oldReplicaSets);
    const all = newRS ? [newRS, ...oldReplicaSets] : [...oldReplicaSets];
    const scaled: CachedReplicaSet[] = [];
    for (const rs of all) {
      const size = sizes.get(rs.metadata.name ?? '');
      // With several active ReplicaSets every one of them gets the new annotations, not only those that change size.
      const touch = size !== undefined || (sizes.size > 0 && isActive(rs));
      scaled.push(touch ? await this.scaleReplicaSet(rs, size ?? replicasOf(rs)) : rs);
    }
    const scaledNew = newRS ? scaled[0] : undefined;
    const scaledOld = newRS ? scaled.slice(1) : scaled;

    if (this.d.spec.paused) await this.cleanupOldReplicaSets(scaledOld);
    return this.syncStatus(scaled, scaledNew, false);
  }

  /** Writes the status only, for a Deployment that is being deleted. */
  async syncStatusOnly(replicaSets: readonly CachedReplicaSet[]): Promise<ReconcileResult> {
    const { newRS, oldReplicaSets } = await this.replicaSetsOfRevision(replicaSets, false);
    return this.syncStatus(newRS ? [newRS, ...oldReplicaSets] : oldReplicaSets, newRS, false);
  }

  /** Takes one step of a RollingUpdate: scales the new ReplicaSet up if the surge allows, else old ones down if availability allows. */
  async rolloutRolling(replicaSets: readonly CachedReplicaSet[]): Promise<ReconcileResult> {
    const found = await this.replicaSetsOfRevision(replicaSets, true);
    let newRS = found.newRS;
    const oldReplicaSets = found.oldReplicaSets;
    if (!newRS) return this.syncStatus(oldReplicaSets, undefined, true);

    // Scale up, if we can.
    const desired = replicasOf(this.d);
    const target = replicasOf(newRS) > desired ? desired : newReplicaSetReplicas(this.d, [...oldReplicaSets, newRS], newRS);
    if (target !== replicasOf(newRS)) {
      newRS = await this.scaleReplicaSet(newRS, target);
      return this.syncStatus([...oldReplicaSets, newRS], newRS, true);
    }

    // Scale down, if we can.
    const sizes = oldReplicaSetsScaleDown(this.d, oldReplicaSets.filter(isActive), newRS);
    if (sizes.size > 0) {
      const scaled: CachedReplicaSet[] = [];
      for (const rs of oldReplicaSets) {
        const size = sizes.get(rs.metadata.name ?? '');
        scaled.push(size === undefined ? rs : await this.scaleReplicaSet(rs, size));
      }
      return this.syncStatus([...scaled, newRS], newRS, true);
    }

    if (this.d.status && isComplete(this.d, this.d.status)) await this.cleanupOldReplicaSets(oldReplicaSets);
    return this.syncStatus([...oldReplicaSets, newRS], newRS, true);
  }

  /** Takes one step of a Recreate rollout, where all old pods go before any new pod is created. */
  async rolloutRecreate(replicaSets: readonly CachedReplicaSet[]): Promise<ReconcileResult> {
    const found = await this.replicaSetsOfRevision(replicaSets, false);
    let newRS = found.newRS;
    const oldReplicaSets: CachedReplicaSet[] = [];
    let scaledDown = false;
    for (const rs of found.oldReplicaSets) {
      scaledDown ||= isActive(rs);
      oldReplicaSets.push(isActive(rs) ? await this.scaleReplicaSet(rs, 0) : rs);
    }
    const all = () => (newRS ? [...oldReplicaSets, newRS] : oldReplicaSets);
    if (scaledDown || this.oldPodsRunning(oldReplicaSets)) return this.syncStatus(all(), newRS, true);

    if (!newRS) newRS = (await this.replicaSetsOfRevision(replicaSets, true)).newRS;
    if (newRS) newRS = await this.scaleReplicaSet(newRS, replicasOf(this.d));

    if (this.d.status && isComplete(this.d, this.d.status)) await this.cleanupOldReplicaSets(oldReplicaSets);
    return this.syncStatus(all(), newRS, true);
  }

  /** Returns whether any pod of an old ReplicaSet may still be running, terminating ones included. */
  private oldPodsRunning(oldReplicaSets: readonly CachedReplicaSet[]): boolean {
    if (oldReplicaSets.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    return oldReplicaSets.some((rs) => this.deps.podsOf(rs.metadata.uid)
      .some((pod) => pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded'));
  }

  /**
   * Splits the Deployment's ReplicaSets into the new one (whose template
   * equals the Deployment's) and the old ones, brings the new one's
   * revision annotations up to date and, when create is set, creates it.
   */
  private async replicaSetsOfRevision(cached: readonly CachedReplicaSet[], create: boolean): Promise<ReplicaSetsOfRevision> {
    const cachedUids = new Set(cached.map((rs) => rs.metadata.uid));
    const created = [...this.written.values()].filter((rs) => !cachedUids.has(rs.metadata.uid));
    const replicaSets = [...cached.map((rs) => this.written.get(rs.metadata.uid ?? '') ?? rs), ...created];
    const existing = [...replicaSets].sort(byCreation).find((rs) => templatesEqualIgnoringHash(rs.spec.template, this.d.spec.template));
    const oldReplicaSets = replicaSets.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldReplicaSets) + 1;

    let newRS: CachedReplicaSet | undefined;
    if (existing) newRS = await this.syncNewReplicaSetAnnotations(existing, newRevision);
    else if (create) newRS = await this.createNewReplicaSet(oldReplicaSets, newRevision);
    if (!newRS) return { newRS, oldReplicaSets };

    await this.setDeploymentRevision(revisionOf(newRS));
    if (existing && hasProgressDeadline(this.d) && !getCondition(this.conditions, 'Progressing')) {
      setCondition(this.conditions, newCondition('Progressing', 'True', reasons.foundNewReplicaSet, `Found new replica set "${newRS.metadata.name}"`, this.deps.now()));
    }
    return { newRS, oldReplicaSets };
  }

  /** Gives an existing new ReplicaSet the Deployment's annotations, revision and minReadySeconds. */
  private async syncNewReplicaSetAnnotations(rs: CachedReplicaSet, newRevision: number): Promise<CachedReplicaSet> {
    const annotations = replicaSetAnnotations(this.d, rs, newRevision);
    const minReadySeconds = this.d.spec.minReadySeconds ?? 0;
    if (annotationsEqual(rs.metadata.annotations, annotations) && (rs.spec.minReadySeconds ?? 0) === minReadySeconds) return rs;

    const updated = structuredClone(rs) as ReplicaSet;
    updated.metadata.annotations = annotations;
    updated.spec.minReadySeconds = minReadySeconds;
    const written = this.remember(await this.deps.client.update<ReplicaSet>(replicaSetResource, updated));
    if (revisionOf(written) !== revisionOf(rs)) {
      this.deps.logger.info('Replica set takes a new revision', { deployment: this.key, replicaset: rs.metadata.name, revision: revisionOf(written) });
    }
    return written;
  }

  private async createNewReplicaSet(oldReplicaSets: readonly CachedReplicaSet[], newRevision: number): Promise<CachedReplicaSet | undefined> {
    const d = this.d;
    const hash = computePodTemplateHash(d.spec.template, d.status?.collisionCount);
    const template = structuredClone(d.spec.template) as ReplicaSet['spec']['template'];
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [podTemplateHashLabel]: hash } };
    const selector = structuredClone(d.spec.selector) as ReplicaSet['spec']['selector'];
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [podTemplateHashLabel]: hash };

    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: { ...replicaSetAnnotations(d, undefined, newRevision), ...replicasAnnotations(d) },
        ownerReferences: [newControllerRef(deploymentResource, d)],
      },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    rs.spec.replicas = newReplicaSetReplicas(d, [...oldReplicaSets, rs], rs);

    let created: ReplicaSet;
    try {
      created = this.remember(await this.deps.client.create<ReplicaSet>(replicaSetResource, rs));
    } catch (error) {
      // The namespace controller is about to delete the Deployment, so there is nothing to roll out.
      if (isNamespaceTerminating(error)) return undefined;
      if (!isAlreadyExists(error)) throw new Error(`create replicaset ${rs.metadata.name} for deployment ${this.key}`, { cause: error });
      return this.adoptExistingOrCollide(rs);
    }

    this.deps.logger.info('Created new replica set', { deployment: this.key, replicaset: created.metadata.name, replicas: rs.spec.replicas, revision: newRevision });
    this.deps.recorder.event(identityOf(deploymentResource, d), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${rs.spec.replicas}`);
    if (hasProgressDeadline(d)) {
      setCondition(this.conditions, newCondition('Progressing', 'True', reasons.newReplicaSetCreated, `Created new replica set "${created.metadata.name}"`, this.deps.now()));
    }
    return created;
  }

  /**
   * Handles a name taken by an existing ReplicaSet. If this Deployment owns
   * it with the same template, the cache was only behind. Otherwise two
   * templates hashed alike: count a collision, which changes the next hash.
   */
  private async adoptExistingOrCollide(requested: ReplicaSet): Promise<CachedReplicaSet> {
    const existing = await this.deps.client.get<ReplicaSet>(replicaSetResource, requested.metadata.namespace, requested.metadata.name ?? '');
    if (controllerRefOf(existing.metadata)?.uid === this.d.metadata.uid && templatesEqualIgnoringHash(existing.spec.template, this.d.spec.template)) {
      return existing;
    }
    const collisionCount = (this.d.status?.collisionCount ?? 0) + 1;
    const updated = structuredClone(this.d) as Deployment;
    updated.metadata.resourceVersion = this.resourceVersion;
    updated.status = { ...(updated.status ?? {}), collisionCount };
    await this.deps.client.updateStatus<Deployment>(deploymentResource, updated);
    throw new Error(`replicaset name ${requested.metadata.name} collides with another template; retrying with collisionCount ${collisionCount}`);
  }

  private remember(rs: ReplicaSet): ReplicaSet {
    if (rs.metadata.uid) this.written.set(rs.metadata.uid, rs);
    return rs;
  }

  /** Sets the Deployment's revision annotation to its new ReplicaSet's, which `kubectl rollout history` shows. */
  private async setDeploymentRevision(revision: number): Promise<void> {
    if (revision === 0 || this.annotations[revisionAnnotation] === String(revision)) return;
    const updated = structuredClone(this.d) as Deployment;
    updated.metadata.annotations = { ...this.annotations, [revisionAnnotation]: String(revision) };
    updated.metadata.resourceVersion = this.resourceVersion;
    const written = await this.deps.client.update<Deployment>(deploymentResource, updated);
    this.annotations = { ...(written.metadata.annotations ?? {}) };
    this.resourceVersion = written.metadata.resourceVersion;
  }

  /** Sets rs to newScale replicas with the Deployment's current replica annotations; returns the written ReplicaSet. */
  private async scaleReplicaSet(rs: CachedReplicaSet, newScale: number): Promise<CachedReplicaSet> {
    const desiredAnnotations = { ...(rs.metadata.annotations ?? {}), ...replicasAnnotations(this.d) };
    const oldScale = replicasOf(rs);
    if (oldScale === newScale && annotationsEqual(rs.metadata.annotations, desiredAnnotations)) return rs;

    const updated = structuredClone(rs) as ReplicaSet;
    updated.spec.replicas = newScale;
    updated.metadata.annotations = desiredAnnotations;
    let written: ReplicaSet;
    try {
      written = this.remember(await this.deps.client.update<ReplicaSet>(replicaSetResource, updated));
    } catch (error) {
      throw new Error(`scale replicaset ${objectKey(rs)} from ${oldScale} to ${newScale}`, { cause: error });
    }
    if (oldScale !== newScale) {
      const direction = newScale > oldScale ? 'up' : 'down';
      this.deps.logger.debug('Scaled replica set', { deployment: this.key, replicaset: rs.metadata.name, from: oldScale, to: newScale });
      this.deps.recorder.event(identityOf(deploymentResource, this.d), 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata.name} from ${oldScale} to ${newScale}`);
    }
    return written;
  }

  /** Deletes the oldest empty old ReplicaSets beyond revisionHistoryLimit (10 by default). */
  private async cleanupOldReplicaSets(oldReplicaSets: readonly CachedReplicaSet[]): Promise<void> {
    const limit = this.d.spec.revisionHistoryLimit ?? 10;
    const alive = oldReplicaSets.filter((rs) => rs.metadata.deletionTimestamp === undefined);
    const excess = alive.length - limit;
    if (excess <= 0) return;

    for (const rs of [...alive].sort(byRevision).slice(0, excess)) {
      // Only an empty ReplicaSet whose status is current may go; a busy one is left for a later pass.
      const empty = (rs.status?.replicas ?? 0) === 0 && replicasOf(rs) === 0;
      const current = (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0);
      if (!empty || !current) continue;
      try {
        await this.deps.client.delete(replicaSetResource, rs.metadata.namespace, rs.metadata.name ?? '', { preconditions: { uid: rs.metadata.uid } });
        this.deps.logger.info('Deleted old replica set beyond the revision history limit', { deployment: this.key, replicaset: rs.metadata.name, revision: revisionOf(rs) });
      } catch (error) {
        if (!isNotFound(error)) throw new Error(`delete old replicaset ${objectKey(rs)}`, { cause: error });
      }
    }
  }

  /**
   * Writes the status computed from replicaSets when it differs from the
   * stored one. During a rollout the Progressing condition is evaluated
   * too, and the key comes back when the progress deadline would pass.
   */
  private async syncStatus(replicaSets: readonly CachedReplicaSet[], newRS: CachedReplicaSet | undefined, rollout: boolean): Promise<ReconcileResult> {
    const now = this.deps.now();
    const status = calculateStatus(this.d, replicaSets, newRS, this.conditions, now);
    if (rollout) {
      updateProgressingCondition(this.d, status, newRS, now);
      updateReplicaFailureCondition(status, newRS, replicaSets, now);
    }
    const deadlineInMs = rollout ? msUntilDeadline(this.d, status, now) : undefined;
    const requeue = deadlineInMs !== undefined ? { requeueAfterMs: deadlineInMs + 1000 } : undefined;
    if (statusEqual(this.d.status, status)) return requeue;

    const updated = structuredClone(this.d) as Deployment;
    updated.metadata.resourceVersion = this.resourceVersion;
    updated.metadata.annotations = this.annotations;
    updated.status = status;
    try {
      await this.deps.client.updateStatus<Deployment>(deploymentResource, updated);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new Error(`update status of deployment ${this.key}`, { cause: error });
    }
    return requeue;
  }
}

function statusEqual(stored: ReadonlyDeep<DeploymentStatus> | undefined, computed: DeploymentStatus): boolean {
  const normalize = (status: ReadonlyDeep<DeploymentStatus> | DeploymentStatus | undefined) => {
    const conditions = [...(status?.conditions ?? [])].sort((a, b) => a.type.localeCompare(b.type));
    return canonicalJson({ ...(status ?? {}), conditions });
  };
  return normalize(stored) === normalize(computed);
}
