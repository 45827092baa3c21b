// NodeUnschedulable: a cordoned node (spec.unschedulable, set by `kubectl
// cordon`) takes no new pods, unless the pod tolerates the
// node.kubernetes.io/unschedulable:NoSchedule taint as DaemonSet pods do.

import { unresolvable, type FilterPlugin, type FilterStatus } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import type { PodInfo } from '../podinfo.js';
import { tolerates } from './tainttoleration.js';

const name = 'NodeUnschedulable';
const unschedulableTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' } as const;

export const nodeUnschedulableFilter: FilterPlugin = {
  name,
  filter(pod: PodInfo, node: NodeInfo): FilterStatus | undefined {
    if (!node.unschedulable) return undefined;
    if ((pod.pod.spec.tolerations ?? []).some((toleration) => tolerates(toleration, unschedulableTaint))) return undefined;
    return unresolvable(name, 'node(s) were unschedulable');
  },
};
