// Spreading of the pods of one controller (a ReplicaSet, a StatefulSet, a
// Job) across nodes, so that losing one node loses few of its replicas. It
// plays the part of kube-scheduler's default PodTopologySpread constraint on
// kubernetes.io/hostname, counting pods by controlling owner rather than by
// label selector.

import { normalizeByMax, type Scores, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import type { PodInfo } from '../podinfo.js';

export const ownerSpreadScore: ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  skip(pod: PodInfo): boolean {
    return !pod.ownerUID;
  },
  score(pod: PodInfo, node: NodeInfo): number {
    return pod.ownerUID ? node.countOwnedBy(pod.ownerUID) : 0;
  },
  normalize(_pod: PodInfo, scores: Scores): void {
    // Fewer pods of the same owner rank higher; a node with none scores the maximum.
    normalizeByMax(scores, true);
  },
};
