// NodePorts: two pods cannot bind the same host port and protocol on one
// node, unless they bind different specific host IPs.

import { unschedulable, type FilterPlugin, type FilterStatus } from '../framework.js';
import type { NodeInfo } from '../nodeinfo.js';
import type { PodInfo } from '../podinfo.js';

const name = 'NodePorts';

export const nodePortsFilter: FilterPlugin = {
  name,
  skip(pod: PodInfo): boolean {
    return pod.hostPorts.length === 0;
  },
  filter(pod: PodInfo, node: NodeInfo): FilterStatus | undefined {
    if (pod.hostPorts.length === 0 || !node.hasPortConflict(pod.hostPorts)) return undefined;
    return unschedulable(name, "node(s) didn't have free ports for the requested pod ports");
  },
};
