// Pod predicates shared by the controllers, with upstream's meanings: an
// active pod is neither finished nor being deleted, a ready pod has the
// Ready condition True, and an available pod has been ready for at least
// minReadySeconds.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { KubeObject, Pod } from '../../api/types.js';

export type CachedPod = ReadonlyDeep<Pod>;

export function isPodActive(pod: CachedPod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && pod.metadata.deletionTimestamp === undefined;
}

export function readyCondition(pod: CachedPod) {
  return pod.status?.conditions?.find((condition) => condition.type === 'Ready');
}

export function isPodReady(pod: CachedPod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * Returns whether pod has been ready for minReadySeconds at time now (ms).
 * For example with minReadySeconds 10, a pod ready since 12:00:00 is
 * available from 12:00:10 on.
 */
export function isPodAvailable(pod: CachedPod, minReadySeconds: number, now: number): boolean {
  const condition = readyCondition(pod);
  if (condition?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(condition.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a ready pod becomes available, or undefined when it is not ready or already available. */
export function msUntilAvailable(pod: CachedPod, minReadySeconds: number, now: number): number | undefined {
  const condition = readyCondition(pod);
  if (condition?.status !== 'True' || minReadySeconds <= 0) return undefined;
  const since = Date.parse(condition.lastTransitionTime ?? '');
  if (!Number.isFinite(since)) return undefined;
  const remaining = since + minReadySeconds * 1000 - now;
  return remaining > 0 ? remaining : undefined;
}

const deletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

/** Interned values by their JSON; cleared when full, which only costs sharing, never correctness. */
const interned = new Map<string, unknown>();
const maxInterned = 4096;

function intern<T>(value: T): T {
  if (value === undefined) return value;
  const key = JSON.stringify(value);
  const existing = interned.get(key);
  if (existing !== undefined) return existing as T;
  if (interned.size >= maxInterned) interned.clear();
  interned.set(key, value);
  return value;
}

/**
 * Reduces a pod to the fields the controllers read: identity, labels,
 * owners, the deletion cost, node, tolerations, phase, the Ready condition
 * and restart counts. With 10,000 pods the full objects would cost the
 * controller-manager roughly 100 MB more. A reduced pod must never be
 * written back: writers read the full pod from the server first. Labels,
 * ownerReferences and tolerations are the same for every pod of a
 * ReplicaSet, so equal values share one interned object.
 */
export function slimPod(object: KubeObject): KubeObject {
  const pod = object as Pod;
  const { metadata, spec, status } = pod;
  const cost = metadata.annotations?.[deletionCostAnnotation];
  const slim: Pod = {
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      uid: metadata.uid,
      resourceVersion: metadata.resourceVersion,
      creationTimestamp: metadata.creationTimestamp,
      deletionTimestamp: metadata.deletionTimestamp,
      labels: intern(metadata.labels),
      annotations: cost !== undefined ? { [deletionCostAnnotation]: cost } : undefined,
      ownerReferences: intern(metadata.ownerReferences),
      finalizers: metadata.finalizers,
    },
    spec: {
      nodeName: spec?.nodeName,
      tolerations: intern(spec?.tolerations),
      containers: [],
    },
    status: {
      phase: status?.phase,
      conditions: status?.conditions?.filter((condition) => condition.type === 'Ready')
        .map(({ type, status: conditionStatus, lastTransitionTime }) => ({ type, status: conditionStatus, lastTransitionTime })),
      containerStatuses: status?.containerStatuses?.map(({ name, ready, restartCount }) => ({ name, ready, restartCount, image: '', imageID: '' })),
    },
  };
  return slim;
}
