// Deletion as kube-apiserver performs it: preconditions, graceful deletion of
// pods bound to a node, finalizers (including the garbage collector's
// orphan and foregroundDeletion), and namespaces that wait for their
// contents to be removed.

import type { ResourceType } from '../../api/resources.js';
import type { DeleteOptions, KubeObject, Namespace, Pod, Status } from '../../api/types.js';
import { badRequest, conflict, forbidden, notFound, StatusError } from '../errors.js';
import { StorageError, type StoredValue } from '../storage/interface.js';
import { objectKey } from './keys.js';
import { checkPathSegmentName, timestamp } from './metadata.js';
import { storageFailure, target, type ListOptions, type Registry } from './store.js';
import { tracksGeneration } from './strategy.js';

export interface DeleteRequest {
  gracePeriodSeconds?: number;
  propagationPolicy?: DeleteOptions['propagationPolicy'];
  preconditions?: DeleteOptions['preconditions'];
  dryRun: boolean;
}

export interface DeleteOutcome {
  /** The last state of the object: gone when deleted is true, else marked for deletion. */
  value: StoredValue;
  deleted: boolean;
}

type Plan = { action: 'delete' } | { action: 'update'; object: KubeObject } | { action: 'none' };

/** Namespaces that kube-apiserver's NamespaceLifecycle admission never lets anyone delete. */
const immortalNamespaces = new Set(['default', 'kube-system', 'kube-public']);

const orphanFinalizer = 'orphan';
const foregroundFinalizer = 'foregroundDeletion';
const defaultPodGracePeriodSeconds = 30;

/** Reads the delete options of a request from its body and query, as kube-apiserver merges them. */
export function parseDeleteRequest(body: unknown, query: URLSearchParams): DeleteRequest {
  const options = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as DeleteOptions & { orphanDependents?: boolean };
  const grace = query.get('gracePeriodSeconds') ?? options.gracePeriodSeconds;
  // The deprecated orphanDependents field maps onto a policy when no policy is given.
  let legacyPolicy: string | undefined;
  if (options.orphanDependents === true) legacyPolicy = 'Orphan';
  else if (options.orphanDependents === false) legacyPolicy = 'Background';
  const policy = query.get('propagationPolicy') ?? options.propagationPolicy ?? legacyPolicy;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const gracePeriodSeconds = grace === undefined || grace === null ? undefined : Number(grace);
  if (gracePeriodSeconds !== undefined && !Number.isInteger(gracePeriodSeconds)) {
    throw badRequest(`gracePeriodSeconds: Invalid value: ${JSON.stringify(grace)}: must be an integer`);
  }
  const dryRun = query.getAll('dryRun').includes('All') || (options.dryRun ?? []).includes('All');
  return { gracePeriodSeconds, propagationPolicy: policy as DeleteRequest['propagationPolicy'], preconditions: options.preconditions, dryRun };
}

/** Kinds whose DELETE returns the object rather than a Status, as pods do in kube-apiserver. */
export function returnsDeletedObject(type: ResourceType): boolean {
  return type.kind === 'Pod';
}

/** The Status a DELETE of an immediately removed object returns. */
export function deletedStatus(type: ResourceType, object: KubeObject): Status {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { name: object.metadata.name, group: type.group || undefined, kind: type.plural, uid: object.metadata.uid },
  };
}

function withFinalizers(object: KubeObject, policy: DeleteRequest['propagationPolicy']): string[] {
  let finalizers = [...(object.metadata.finalizers ?? [])];
  const set = (name: string, present: boolean) => {
    finalizers = finalizers.filter((finalizer) => finalizer !== name);
    if (present) finalizers.push(name);
  };
  // Orphan and Foreground exclude each other; an explicit Background clears both.
  if (policy === 'Orphan') {
    set(foregroundFinalizer, false);
    set(orphanFinalizer, true);
  } else if (policy === 'Foreground') {
    set(orphanFinalizer, false);
    set(foregroundFinalizer, true);
  } else if (policy === 'Background') {
    set(orphanFinalizer, false);
    set(foregroundFinalizer, false);
  }
  return finalizers;
}

/** Returns the grace period of a pod's deletion: zero when no node runs it or it has finished. */
function podGracePeriod(pod: Pod, requested: number | undefined): number {
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
  const grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? defaultPodGracePeriodSeconds;
  // A negative grace period means "as soon as possible", which kube-apiserver rounds to one second.
  return grace < 0 ? 1 : grace;
}

function planDeletion(type: ResourceType, object: KubeObject, request: DeleteRequest, now: Date): Plan {
  const finalizers = withFinalizers(object, request.propagationPolicy);
  const metadata = object.metadata;
  const finalizersChanged = JSON.stringify(finalizers) !== JSON.stringify(metadata.finalizers ?? []);
  const mark = (graceSeconds: number): Plan => {
    const updated = structuredClone(object);
    updated.metadata.finalizers = finalizers.length > 0 ? finalizers : undefined;
    if (!updated.metadata.finalizers) delete updated.metadata.finalizers;
    updated.metadata.deletionTimestamp = timestamp(new Date(now.getTime() + graceSeconds * 1000));
    updated.metadata.deletionGracePeriodSeconds = graceSeconds;
    if (tracksGeneration(type) && !metadata.deletionTimestamp) updated.metadata.generation = (metadata.generation ?? 0) + 1;
    return { action: 'update', object: updated };
  };

  if (type.kind === 'Namespace') {
    const namespace = object as Namespace;
    if (finalizers.length === 0 && (namespace.spec?.finalizers ?? []).length === 0) return { action: 'delete' };
    if (metadata.deletionTimestamp && !finalizersChanged) return { action: 'none' };
    const plan = mark(0);
    if (plan.action === 'update') {
      const updated = plan.object as Namespace;
      if (metadata.deletionTimestamp) updated.metadata.deletionTimestamp = metadata.deletionTimestamp;
      updated.status = { ...updated.status, phase: 'Terminating' };
    }
    return plan;
  }

  const grace = type.kind === 'Pod' ? podGracePeriod(object as Pod, request.gracePeriodSeconds) : 0;
  if (metadata.deletionTimestamp) {
    // Already deleting: only a shorter grace period or a finalizer change moves it on.
    const pending = metadata.deletionGracePeriodSeconds ?? 0;
    if (grace === 0 && finalizers.length === 0) return { action: 'delete' };
    if (grace < pending || finalizersChanged) {
      const plan = mark(Math.min(grace, pending));
      if (plan.action === 'update' && grace >= pending) plan.object.metadata.deletionTimestamp = metadata.deletionTimestamp;
      return plan;
    }
    return { action: 'none' };
  }
  if (grace === 0 && finalizers.length === 0) return { action: 'delete' };
  return mark(grace);
}

function checkPreconditions(type: ResourceType, object: KubeObject, preconditions: DeleteRequest['preconditions']): void {
  const name = object.metadata.name;
  if (preconditions?.uid && preconditions.uid !== object.metadata.uid) {
    throw conflict(target(type, name), `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${object.metadata.uid ?? ''}`);
  }
  if (preconditions?.resourceVersion && preconditions.resourceVersion !== object.metadata.resourceVersion) {
    throw conflict(target(type, name),
      `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${object.metadata.resourceVersion ?? ''}`);
  }
}

const changedSinceRead = (key: string) => new StorageError('Conflict', key, 'the object changed while it was being deleted');

/**
 * Attempts of one deletion before its conflict reaches the client. Storage
 * reads return committed objects while writes run against the latest one,
 * which may still wait in a batch for its sync. The plan is made again on
 * the latest object, so a conflict is left only when that object calls for
 * another action. Each retry waits a little longer for the batch to commit:
 * 1, 2, 4, ... 64 ms, about 0.13 s in all.
 */
const maxDeleteAttempts = 8;

function conflictBackoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 64)));
}

/** Deletes one object, or marks it for deletion when finalizers or a grace period hold it. */
export async function deleteObject(registry: Registry, type: ResourceType, namespace: string | undefined, name: string,
  request: DeleteRequest, now = () => new Date()): Promise<DeleteOutcome> {
  checkPathSegmentName(type, name);
  if (type.kind === 'Namespace' && immortalNamespaces.has(name)) throw forbidden(target(type, name), 'this namespace may not be deleted');
  const key = objectKey(type, namespace, name);
  // Like kube-apiserver's GuaranteedUpdate, a plan that raced another write is made again from a fresh read.
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptDeletion(registry, type, key, request, now);
    } catch (error) {
      if (error instanceof StorageError && error.code === 'Conflict' && attempt < maxDeleteAttempts) {
        await conflictBackoff(attempt - 1);
        continue;
      }
      throw storageFailure(type, name, error);
    }
  }
}

/**
 * Plans the deletion from a read of the committed object, then applies the
 * plan again to the latest object inside the storage write, as
 * GuaranteedUpdate does. Throws StorageError Conflict when the latest object
 * calls for a different action than the one started (an update where a
 * delete was planned, or the reverse).
 */
async function attemptDeletion(registry: Registry, type: ResourceType, key: string, request: DeleteRequest,
  now: () => Date): Promise<DeleteOutcome> {
  const storage = registry.storage;
  const current = await storage.get(key);
  if (!current) throw new StorageError('NotFound', key, `key ${key} not found`);
  const object = JSON.parse(current.json) as KubeObject;
  checkPreconditions(type, object, request.preconditions);
  const plan = planDeletion(type, object, request, now());
  if (request.dryRun || plan.action === 'none') {
    const preview = plan.action === 'update' ? { ...current, json: JSON.stringify(plan.object) } : current;
    return { value: preview, deleted: plan.action === 'delete' };
  }

  const replan = (latest: KubeObject, revision: number): Plan => {
    if (revision === current.revision) return plan;
    checkPreconditions(type, latest, request.preconditions);
    return planDeletion(type, latest, request, now());
  };
  if (plan.action === 'delete') {
    const value = await storage.delete(key, (latest, revision) => {
      if (replan(latest, revision).action !== 'delete') throw changedSinceRead(key);
    });
    return { value, deleted: true };
  }
  const value = await storage.guaranteedUpdate(key, (latest, revision) => {
    const latestPlan = replan(latest, revision);
    if (latestPlan.action === 'delete') throw changedSinceRead(key);
    // Another writer already made the change this deletion wanted.
    if (latestPlan.action === 'none') return latest;
    return latestPlan.object;
  });
  return { value, deleted: false };
}

/** Deletes every object of a collection that the selectors match, returning their last states. */
export async function deleteCollection(registry: Registry, type: ResourceType, namespace: string | undefined,
  list: ListOptions, request: DeleteRequest): Promise<StoredValue[]> {
  const page = await registry.list(type, namespace, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector });
  const results: StoredValue[] = [];
  for (const item of page.items) {
    const object = JSON.parse(item.json) as KubeObject;
    try {
      results.push((await deleteObject(registry, type, object.metadata.namespace, object.metadata.name ?? '', request)).value);
    } catch (error) {
      // Removed by someone else since the list: that is the outcome this request wanted.
      if (!(error instanceof StatusError && error.code === 404)) throw error;
    }
  }
  return results;
}
