// Taints the node lifecycle controller manages, and how long a pod
// tolerates a NoExecute taint before it is evicted.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { NodeCondition, Pod, Taint, Toleration } from '../../api/types.js';

export const unreachableTaintKey = 'node.kubernetes.io/unreachable';
export const notReadyTaintKey = 'node.kubernetes.io/not-ready';

/** Keys whose NoExecute taints a pod tolerates for the default toleration time, unless its own toleration sets another. */
const defaultToleratedKeys = new Set([unreachableTaintKey, notReadyTaintKey]);

/**
 * Returns the taints a node should carry for its Ready condition: the
 * unreachable taints when it is Unknown, the not-ready ones when False.
 */
export function desiredConditionTaints(ready: ReadonlyDeep<NodeCondition> | undefined): { key: string; effect: Taint['effect'] }[] {
  let key: string;
  if (ready?.status === 'Unknown') key = unreachableTaintKey;
  else if (ready?.status === 'False') key = notReadyTaintKey;
  else return [];
  return [{ key, effect: 'NoSchedule' }, { key, effect: 'NoExecute' }];
}

/**
 * Returns the node's taints with the condition taints replaced by desired.
 * Taints that stay keep their timeAdded, which the eviction clock counts from.
 */
export function reconcileTaints(current: readonly ReadonlyDeep<Taint>[], desired: readonly { key: string; effect: Taint['effect'] }[], now: string): Taint[] {
  const managed = (taint: { key: string }) => defaultToleratedKeys.has(taint.key);
  const kept = current.filter((taint) => !managed(taint) || desired.some((d) => d.key === taint.key && d.effect === taint.effect));
  const taints = kept.map((taint) => ({ ...taint }));
  for (const d of desired) {
    if (!taints.some((taint) => taint.key === d.key && taint.effect === d.effect)) {
      taints.push({ key: d.key, effect: d.effect, ...(d.effect === 'NoExecute' ? { timeAdded: now } : {}) });
    }
  }
  return taints;
}

export function taintsEqual(a: readonly ReadonlyDeep<Taint>[], b: readonly ReadonlyDeep<Taint>[]): boolean {
  const key = (taint: ReadonlyDeep<Taint>) => `${taint.key}=${taint.value ?? ''}:${taint.effect}`;
  return a.length === b.length && a.every((taint) => b.some((other) => key(other) === key(taint)));
}

/** The toleration time kube-apiserver's DefaultTolerationSeconds admission writes into every pod. */
const admissionDefaultSeconds = 300;

/**
 * Returns whether toleration is the one the apiserver added by default
 * (operator Exists, effect NoExecute, 300 s, on the unreachable or
 * not-ready key) rather than one the pod's author wrote.
 * NOTE: a toleration written by hand in exactly that shape is taken for the
 * default too. A configurable default in the apiserver would remove the guess.
 */
function isAdmissionDefault(toleration: ReadonlyDeep<Toleration>): boolean {
  return defaultToleratedKeys.has(toleration.key ?? '') && toleration.operator === 'Exists' &&
    toleration.effect === 'NoExecute' && toleration.tolerationSeconds === admissionDefaultSeconds;
}

function tolerates(toleration: ReadonlyDeep<Toleration>, taint: ReadonlyDeep<Taint>): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if ((toleration.operator ?? 'Equal') === 'Exists') return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

/**
 * Returns when (ms since the epoch) pod must be evicted because of the
 * node's NoExecute taints, or undefined when it tolerates them for ever.
 * Without a matching toleration, or with only the default one the
 * apiserver adds, a pod tolerates the unreachable and not-ready taints for
 * defaultTolerationSeconds, and no other taint at all.
 */
export function evictionTime(pod: ReadonlyDeep<Pod>, taints: readonly ReadonlyDeep<Taint>[], defaultTolerationSeconds: number, now: number): number | undefined {
  let evictAt: number | undefined;
  for (const taint of taints.filter((candidate) => candidate.effect === 'NoExecute')) {
    const matching = (pod.spec.tolerations ?? []).filter((toleration) => tolerates(toleration, taint));
    let seconds: number | undefined;
    if (matching.length > 0) {
      const bounded = matching.filter((toleration) => toleration.tolerationSeconds !== undefined);
      // Any matching toleration without tolerationSeconds tolerates the taint for ever.
      if (bounded.length < matching.length) continue;
      const secondsOf = (toleration: ReadonlyDeep<Toleration>) => isAdmissionDefault(toleration) ? defaultTolerationSeconds : toleration.tolerationSeconds ?? 0;
      seconds = Math.max(0, Math.min(...bounded.map(secondsOf)));
    } else {
      seconds = defaultToleratedKeys.has(taint.key) ? defaultTolerationSeconds : 0;
    }
    const added = Date.parse(taint.timeAdded ?? '');
    const at = (Number.isFinite(added) ? added : now) + seconds * 1000;
    evictAt = Math.min(evictAt ?? at, at);
  }
  return evictAt;
}
