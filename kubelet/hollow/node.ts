// The Node object a hollow node registers: a fixed capacity, the Ready
// condition a healthy kubelet reports, and fake addresses.

import type { Node, NodeCondition } from '../../api/types.js';
import { kubeletVersion } from '../node-status.js';
import { nodeAddress, podCIDR } from './addresses.js';

/** The port a real kubelet serves on; nothing listens on it for a hollow node. */
export const hollowKubeletPort = 10250;

export interface HollowNodeShape {
  cpu: string;
  memory: string;
  maxPods: number;
}

/** Returns the conditions of a healthy node, last reported at heartbeat and unchanged since transition. */
export function nodeConditions(heartbeat: string, transition: string): NodeCondition[] {
  const condition = (type: NodeCondition['type'], status: 'True' | 'False', reason: string, message: string): NodeCondition =>
    ({ type, status, reason, message, lastHeartbeatTime: heartbeat, lastTransitionTime: transition });
  return [
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

export function hollowNode(name: string, index: number, shape: HollowNodeShape, now: string): Node {
  const resources = { cpu: shape.cpu, memory: shape.memory, pods: String(shape.maxPods) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'tinykube.io/hollow': 'true',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: podCIDR(index), podCIDRs: [podCIDR(index)] },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: nodeConditions(now, now),
      addresses: [{ type: 'InternalIP', address: nodeAddress(index) }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: hollowKubeletPort } },
      nodeInfo: {
        machineID: `hollow-${index}`,
        systemUUID: `hollow-${index}`,
        bootID: `hollow-${index}`,
        kernelVersion: 'hollow',
        osImage: 'hollow node',
        containerRuntimeVersion: 'hollow://0',
        kubeletVersion,
        kubeProxyVersion: kubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}
