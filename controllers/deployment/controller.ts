// The Deployment controller rolls a Deployment's pod template out through
// ReplicaSets named `<deployment>-<pod-template-hash>`: it claims the
// ReplicaSets its selector matches and, on each reconcile, takes one step of
// the rollout (or of a scale) and writes the status.

import type { ApiClient } from '../../api/client.js';
import { objectKey, type Informer } from '../../api/informer.js';
import { selectorFromLabelSelector, type Selector } from '../../api/labels.js';
import { createLogger, type Logger } from '../../api/log.js';
import { deployments as deploymentResource, pods as podResource, replicaSets as replicaSetResource } from '../../api/resources.js';
import type { Deployment, Pod, ReplicaSet } from '../../api/types.js';
import { ControllerLoop, type ReconcileResult } from '../framework/controller.js';
import type { EventRecorder } from '../framework/events.js';
import type { ControllerIndex } from '../framework/index.js';
import type { SharedInformers } from '../framework/informers.js';
import { claimDecision, controllerRefOf, identityOf, newControllerRef, removeOwnerRef, selectorOf, setControllerRef } from '../framework/owners.js';
import { updateLive } from '../framework/update.js';
import type { CachedPod } from '../framework/pods.js';
import type { CachedDeployment, CachedReplicaSet } from './replicasets.js';
import { DeploymentSync } from './sync.js';

export interface DeploymentControllerOptions {
  client: ApiClient;
  informers: SharedInformers;
  recorder: EventRecorder;
  workers?: number;
  now?: () => number;
}

export class DeploymentController {
  readonly loop: ControllerLoop;
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly deployments: Informer<Deployment>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly replicaSetIndex: ControllerIndex<ReplicaSet>;
  private readonly podIndex: ControllerIndex<Pod>;
  private readonly now: () => number;
  private readonly logger: Logger = createLogger('deployment-controller');

  constructor(options: DeploymentControllerOptions) {
    this.client = options.client;
    this.recorder = options.recorder;
    this.now = options.now ?? Date.now;
    this.deployments = options.informers.get<Deployment>(deploymentResource);
    this.replicaSets = options.informers.get<ReplicaSet>(replicaSetResource);
    const pods = options.informers.get<Pod>(podResource);
    this.replicaSetIndex = options.informers.controllerIndex<ReplicaSet>(replicaSetResource);
    this.podIndex = options.informers.controllerIndex<Pod>(podResource);
    this.loop = new ControllerLoop({ name: 'deployment-controller', reconciler: this, workers: options.workers, logger: this.logger });

    this.deployments.addEventHandler({
      add: (d) => this.loop.enqueue(objectKey(d)),
      update: (_old, d) => this.loop.enqueue(objectKey(d)),
      delete: (d) => this.loop.enqueue(objectKey(d)),
    });
    this.replicaSets.addEventHandler({
      add: (rs) => this.replicaSetChanged(rs),
      update: (old, rs) => {
        if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
        const oldOwner = this.owningDeployment(old);
        if (oldOwner && oldOwner !== this.owningDeployment(rs)) this.loop.enqueue(oldOwner);
        this.replicaSetChanged(rs);
      },
      delete: (rs) => this.replicaSetChanged(rs),
    });
    // A Recreate rollout waits for the old pods to be gone, so their deletion must wake it.
    pods.addEventHandler({ delete: (pod) => this.podDeleted(pod) });
  }

  private owningDeployment(rs: CachedReplicaSet): string | undefined {
    const controllerRef = controllerRefOf(rs.metadata);
    if (!controllerRef || controllerRef.kind !== 'Deployment') return undefined;
    const key = `${rs.metadata.namespace}/${controllerRef.name}`;
    return this.deployments.get(key)?.metadata.uid === controllerRef.uid ? key : undefined;
  }

  private replicaSetChanged(rs: CachedReplicaSet): void {
    const owner = this.owningDeployment(rs);
    if (owner) {
      this.loop.enqueue(owner);
      return;
    }
    if (controllerRefOf(rs.metadata)) return;
    // An orphan: every Deployment that could adopt it takes a look.
    for (const d of this.deployments.list()) {
      if (d.metadata.namespace !== rs.metadata.namespace) continue;
      const selector = selectorOf(d.spec.selector);
      if (!selector.empty && selector.matches(rs.metadata.labels)) this.loop.enqueue(objectKey(d));
    }
  }

  private podDeleted(pod: CachedPod): void {
    const podOwner = controllerRefOf(pod.metadata);
    if (!podOwner || podOwner.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.get(`${pod.metadata.namespace}/${podOwner.name}`);
    if (rs?.metadata.uid !== podOwner.uid) return;
    const owner = this.owningDeployment(rs);
    if (owner && this.deployments.get(owner)?.spec.strategy?.type === 'Recreate') this.loop.enqueue(owner);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const d = this.deployments.get(key);
    if (!d) return;

    const selector = selectorOf(d.spec.selector);
    if (selector.empty) {
      this.recorder.event(identityOf(deploymentResource, d), 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }

    const replicaSets = await this.claimReplicaSets(d, selector);
    const sync = new DeploymentSync({
      client: this.client,
      recorder: this.recorder,
      logger: this.logger,
      now: this.now,
      podsOf: (uid) => this.podIndex.controlledBy(uid),
    }, d);

    if (d.metadata.deletionTimestamp !== undefined) return sync.syncStatusOnly(replicaSets);

    sync.checkPausedConditions();
    if (d.spec.paused) return sync.syncScale(replicaSets);
    if (await sync.isScalingEvent(replicaSets)) return sync.syncScale(replicaSets);
    if (d.spec.strategy?.type === 'Recreate') return sync.rolloutRecreate(replicaSets);
    return sync.rolloutRolling(replicaSets);
  }

  /** Adopts matching orphan ReplicaSets and releases owned ones that stopped matching; returns those d owns. */
  private async claimReplicaSets(d: CachedDeployment, selector: Selector): Promise<CachedReplicaSet[]> {
    const candidates = [...this.replicaSetIndex.controlledBy(d.metadata.uid), ...this.replicaSetIndex.orphans(d.metadata.namespace)];
    const owned: CachedReplicaSet[] = [];
    let ownerChecked = false;
    for (const rs of candidates) {
      const decision = claimDecision(d, selector, rs);
      if (decision === 'keep') owned.push(rs);
      if (decision === 'release') await this.writeReplicaSet(rs, 'release', (live) => removeOwnerRef(live, d.metadata.uid ?? ''));
      if (decision !== 'adopt') continue;

      if (!ownerChecked) {
        const fresh = await this.client.get<Deployment>(deploymentResource, d.metadata.namespace, d.metadata.name ?? '');
        if (fresh.metadata.uid !== d.metadata.uid || fresh.metadata.deletionTimestamp) {
          throw new Error(`deployment ${objectKey(d)} changed since it was cached (uid ${fresh.metadata.uid}), not adopting`);
        }
        ownerChecked = true;
      }
      const adopted = await this.writeReplicaSet(rs, 'adopt', (live) => {
        if (controllerRefOf(live.metadata)) return false;
        setControllerRef(live, newControllerRef(deploymentResource, d));
      });
      if (adopted) owned.push(adopted);
    }
    return owned;
  }

  private async writeReplicaSet(rs: CachedReplicaSet, action: 'adopt' | 'release', change: (live: ReplicaSet) => boolean | void): Promise<ReplicaSet | undefined> {
    try {
      const written = await updateLive<ReplicaSet>(this.client, replicaSetResource, rs, change);
      if (written) this.logger.info(action === 'adopt' ? 'Adopted replica set' : 'Released replica set', { replicaset: objectKey(rs) });
      return written;
    } catch (error) {
      throw new Error(`${action} replicaset ${objectKey(rs)}`, { cause: error });
    }
  }
}
