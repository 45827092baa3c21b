// TaintToleration: a node's NoSchedule and NoExecute taints keep off every
// pod that does not tolerate them; PreferNoSchedule taints only lower the
// node's score.

import type { ReadonlyDeep } from '../../api/informer.js';
import type { Taint, Toleration } from '../../api/types.js';
import { normalizeByMax, type Scores, unresolvable, type FilterPlugin, type FilterStatus, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import type { PodInfo } from '../podinfo.js';

const name = 'TaintToleration';

/** Reports whether one toleration matches one taint, with the operator and effect rules of core/v1. */
export function tolerates(toleration: ReadonlyDeep<Toleration>, taint: ReadonlyDeep<Taint>): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? 'Equal';
  // An empty key with operator Exists matches every taint.
  if (toleration.key && toleration.key !== taint.key) return false;
  if (!toleration.key && operator !== 'Exists') return false;
  if (operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

function isTolerated(taint: ReadonlyDeep<Taint>, tolerations: readonly ReadonlyDeep<Toleration>[]): boolean {
  return tolerations.some((toleration) => tolerates(toleration, taint));
}

export const taintTolerationFilter: FilterPlugin = {
  name,
  filter(pod: PodInfo, node: NodeInfo): FilterStatus | undefined {
    if (node.taints.length === 0) return undefined;
    const tolerations = pod.pod.spec.tolerations ?? [];
    for (const taint of node.taints) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (isTolerated(taint, tolerations)) continue;
      // NOTE: kube-scheduler 1.32.0 names the taint in this message; later patch releases print
      // "node(s) had untolerated taint(s)" so that taint values do not leak into pod status.
      return unresolvable(name, `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
    }
    return undefined;
  },
};

export const taintTolerationScore: ScorePlugin = {
  name,
  weight: 3,
  score(pod: PodInfo, node: NodeInfo): number {
    if (node.taints.length === 0) return 0;
    const tolerations = (pod.pod.spec.tolerations ?? []).filter((toleration) => !toleration.effect || toleration.effect === 'PreferNoSchedule');
    let intolerable = 0;
    for (const taint of node.taints) {
      if (taint.effect === 'PreferNoSchedule' && !isTolerated(taint, tolerations)) intolerable++;
    }
    return intolerable;
  },
  normalize(_pod: PodInfo, scores: Scores): void {
    normalizeByMax(scores, true);
  },
};
