// The garbage collector deletes objects whose owners are gone, following
// ownerReferences as upstream does:
// - background (the default): the owner goes at once, and its dependents are
//   deleted here afterwards, once their owners are all gone;
// - foreground: the apiserver keeps an owner that carries the
//   `foregroundDeletion` finalizer; the collector deletes its dependents and
//   removes the finalizer when none is left;
// - orphan: the `orphan` finalizer makes the collector remove the owner's
//   ownerReferences from its dependents, then the finalizer.
// Queue keys are object uids, because one queue serves several resources.

import { ApiClient, isNotFound } from '../../api/client.js';
import { objectKey, type Informer, type ReadonlyDeep } from '../../api/informer.js';
import { createLogger, type Logger } from '../../api/log.js';
import { findResourceByKind, leases, nodes, pods, replicaSets, deployments, type ResourceType } from '../../api/resources.js';
import type { DeleteOptions, KubeObject, OwnerReference } from '../../api/types.js';
import { ControllerLoop, type ReconcileResult } from '../framework/controller.js';
import { updateLive } from '../framework/update.js';
import type { SharedInformers } from '../framework/informers.js';
import { OwnershipGraph, type GraphNode } from './graph.js';

export const foregroundFinalizer = 'foregroundDeletion';
export const orphanFinalizer = 'orphan';

/** The resources whose objects own or depend on others. Events are left out: nothing owns them. */
export const collectedResources: readonly ResourceType[] = [pods, replicaSets, deployments, leases, nodes];

export interface GarbageCollectorOptions {
  client: ApiClient;
  informers: SharedInformers;
  workers?: number;
}

type OwnerState = 'present' | 'absent' | 'deletingForeground';

export class GarbageCollector {
  readonly loop: ControllerLoop;
  private readonly client: ApiClient;
  private readonly graph = new OwnershipGraph();
  private readonly informers = new Map<ResourceType, Informer<KubeObject>>();
  private readonly logger: Logger = createLogger('garbage-collector');

  constructor(options: GarbageCollectorOptions) {
    this.client = options.client;
    this.loop = new ControllerLoop({ name: 'garbage-collector', reconciler: this, workers: options.workers, logger: this.logger });
    for (const type of collectedResources) {
      const informer = options.informers.get<KubeObject>(type);
      this.informers.set(type, informer);
      informer.addEventHandler({
        add: (object) => this.objectChanged(type, undefined, object),
        update: (old, object) => this.objectChanged(type, old, object),
        delete: (object) => this.objectDeleted(object),
      });
    }
  }

  private objectChanged(type: ResourceType, old: ReadonlyDeep<KubeObject> | undefined, object: ReadonlyDeep<KubeObject>): void {
    const uid = object.metadata.uid;
    if (!uid) return;
    const ownersChanged = this.graph.upsert(type, object);
    const startedDeleting = object.metadata.deletionTimestamp !== undefined && old?.metadata.deletionTimestamp === undefined;
    const finalizersChanged = (old?.metadata.finalizers ?? []).join() !== (object.metadata.finalizers ?? []).join();

    // A new or re-owned object may point at owners that are already gone.
    if (ownersChanged && (object.metadata.ownerReferences?.length ?? 0) > 0) this.loop.enqueue(uid);
    if ((startedDeleting || finalizersChanged) && hasCollectorFinalizer(object)) this.loop.enqueue(uid);
    // A dependent that changes may unblock an owner waiting in foreground deletion.
    if (startedDeleting) this.enqueueDeletingOwners(object);
  }

  private objectDeleted(object: ReadonlyDeep<KubeObject>): void {
    const uid = object.metadata.uid;
    if (!uid) return;
    this.graph.remove(object);
    for (const dependent of this.graph.dependentsOf(uid)) this.loop.enqueue(dependent.uid);
    this.enqueueDeletingOwners(object);
  }

  private enqueueDeletingOwners(object: ReadonlyDeep<KubeObject>): void {
    for (const owner of object.metadata.ownerReferences ?? []) {
      const cached = this.cachedObject(this.graph.get(owner.uid));
      if (cached?.metadata.deletionTimestamp !== undefined) this.loop.enqueue(owner.uid);
    }
  }

  private cachedObject(node: GraphNode | undefined): ReadonlyDeep<KubeObject> | undefined {
    if (!node) return undefined;
    const object = this.informers.get(node.type)?.get(node.namespace ? `${node.namespace}/${node.name}` : node.name);
    return object?.metadata.uid === node.uid ? object : undefined;
  }

  async reconcile(uid: string): Promise<ReconcileResult> {
    const node = this.graph.get(uid);
    const object = this.cachedObject(node);
    if (!node || !object) return;

    if (object.metadata.deletionTimestamp !== undefined) {
      if (object.metadata.finalizers?.includes(orphanFinalizer)) await this.orphanDependents(node);
      else if (object.metadata.finalizers?.includes(foregroundFinalizer)) await this.deleteDependents(node);
      return;
    }
    await this.attemptToDelete(node, object);
  }

  /** Removes the owner's ownerReferences from all its dependents, then the `orphan` finalizer. */
  private async orphanDependents(node: GraphNode): Promise<void> {
    for (const dependent of this.graph.dependentsOf(node.uid)) {
      await this.write(dependent, `orphan ${describe(dependent)}`, (live) => dropOwnerReferences(live, new Set([node.uid])));
    }
    await this.removeFinalizer(node, orphanFinalizer);
    this.logger.info('Orphaned dependents', { object: describe(node) });
  }

  /** Deletes the dependents of an owner in foreground deletion; removes its finalizer once none is left. */
  private async deleteDependents(node: GraphNode): Promise<void> {
    const dependents = this.graph.dependentsOf(node.uid);
    if (dependents.length === 0) {
      await this.removeFinalizer(node, foregroundFinalizer);
      this.logger.info('Finished foreground deletion of dependents', { object: describe(node) });
      return;
    }
    for (const dependent of dependents) {
      const object = this.cachedObject(dependent);
      if (!object || object.metadata.deletionTimestamp !== undefined) continue;
      // A dependent with dependents of its own is also deleted in the foreground, so the whole tree goes before the owner.
      await this.deleteObject(dependent, this.graph.hasDependents(dependent.uid) ? 'Foreground' : 'Background');
    }
    // The dependents' deletion events enqueue the owner again; nothing to do until then.
  }

  /** Deletes an object whose owners are all gone, or drops the references to owners that are gone. */
  private async attemptToDelete(node: GraphNode, object: ReadonlyDeep<KubeObject>): Promise<void> {
    const references = object.metadata.ownerReferences ?? [];
    if (references.length === 0) return;

    const states = await Promise.all(references.map((reference) => this.ownerState(node, reference)));
    const solid = references.filter((_, i) => states[i] === 'present');
    const waiting = references.filter((_, i) => states[i] === 'deletingForeground');

    if (solid.length > 0) {
      // Some owner remains: keep the object, without the references to owners that are gone or leaving.
      const gone = new Set(references.filter((_, i) => states[i] !== 'present').map((reference) => reference.uid));
      if (gone.size === 0) return;
      await this.write(node, `drop dangling owner references of ${describe(node)}`, (live) => dropOwnerReferences(live, gone));
      return;
    }

    let policy: DeleteOptions['propagationPolicy'] = 'Background';
    if (waiting.length > 0 && this.graph.hasDependents(node.uid)) policy = 'Foreground';
    else if (object.metadata.finalizers?.includes(orphanFinalizer)) policy = 'Orphan';
    else if (object.metadata.finalizers?.includes(foregroundFinalizer)) policy = 'Foreground';
    await this.deleteObject(node, policy);
  }

  /**
   * Resolves an ownerReference. The cache decides when it holds the owner.
   * Otherwise a live GET confirms the owner is really gone before anything
   * is deleted, because the cache may simply be behind.
   */
  private async ownerState(node: GraphNode, reference: ReadonlyDeep<OwnerReference>): Promise<OwnerState> {
    const cached = this.cachedObject(this.graph.get(reference.uid));
    if (cached) return isForegroundDeleting(cached) ? 'deletingForeground' : 'present';

    const type = findResourceByKind(reference.apiVersion, reference.kind);
    // An owner of a kind this server does not serve cannot be checked, so it is trusted to exist.
    if (!type) return 'present';
    try {
      const live = await this.client.get<KubeObject>(type, type.namespaced ? node.namespace : undefined, reference.name);
      if (live.metadata.uid !== reference.uid) return 'absent';
      return isForegroundDeleting(live) ? 'deletingForeground' : 'present';
    } catch (error) {
      if (isNotFound(error)) return 'absent';
      throw new Error(`look up owner ${reference.kind} ${reference.name} of ${describe(node)}`, { cause: error });
    }
  }

  private async deleteObject(node: GraphNode, propagationPolicy: DeleteOptions['propagationPolicy']): Promise<void> {
    try {
      await this.client.delete(node.type, node.namespace, node.name, { propagationPolicy, preconditions: { uid: node.uid } });
      this.logger.info('Deleted object whose owners are gone', { object: describe(node), propagationPolicy });
    } catch (error) {
      if (isNotFound(error)) return;
      throw new Error(`delete ${describe(node)}`, { cause: error });
    }
  }

  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    await this.write(node, `remove finalizer ${finalizer} of ${describe(node)}`, (live) => {
      live.metadata.finalizers = (live.metadata.finalizers ?? []).filter((name) => name !== finalizer);
    });
  }

  /** Changes the live object of node; the cache may hold a reduced copy, so it is never written back. */
  private async write(node: GraphNode, action: string, change: (live: KubeObject) => void): Promise<void> {
    try {
      await updateLive<KubeObject>(this.client, node.type, { metadata: node }, change);
    } catch (error) {
      throw new Error(action, { cause: error });
    }
  }
}

/** Removes the references to the owners in uids, and the field with the last one, as upstream leaves no empty list behind. */
function dropOwnerReferences(object: KubeObject, uids: ReadonlySet<string>): void {
  const remaining = (object.metadata.ownerReferences ?? []).filter((reference) => !uids.has(reference.uid));
  if (remaining.length > 0) object.metadata.ownerReferences = remaining;
  else delete object.metadata.ownerReferences;
}

function hasCollectorFinalizer(object: ReadonlyDeep<KubeObject>): boolean {
  return object.metadata.finalizers?.some((name) => name === orphanFinalizer || name === foregroundFinalizer) ?? false;
}

function isForegroundDeleting(object: ReadonlyDeep<KubeObject>): boolean {
  return object.metadata.deletionTimestamp !== undefined && (object.metadata.finalizers?.includes(foregroundFinalizer) ?? false);
}

function describe(node: GraphNode): string {
  return `${node.type.kind.toLowerCase()} ${objectKey({ metadata: node })}`;
}
