// Builders of nodes and pods for scheduler tests, with only the fields a test names.

import type { Container, Node, NodeSpec, Pod, PodSpec, Taint } from '../../api/types.js';

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  ready?: 'True' | 'False' | 'Unknown';
}

export function newNode(name: string, options: NodeOptions = {}): Node {
  const allocatable = { cpu: options.cpu ?? '4', memory: options.memory ?? '8Gi', pods: String(options.pods ?? 110) };
  const spec: NodeSpec = {};
  if (options.taints) spec.taints = options.taints;
  if (options.unschedulable) spec.unschedulable = true;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...options.labels } },
    spec,
    status: {
      capacity: allocatable,
      allocatable,
      conditions: [{ type: 'Ready', status: options.ready ?? 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    },
  };
}

export interface PodOptions {
  namespace?: string;
  cpu?: string;
  memory?: string;
  hostPort?: number;
  nodeName?: string;
  ownerUID?: string;
  spec?: Partial<PodSpec>;
  labels?: Record<string, string>;
}

export function newPod(name: string, options: PodOptions = {}): Pod {
  const requests: Record<string, string> = {};
  if (options.cpu) requests.cpu = options.cpu;
  if (options.memory) requests.memory = options.memory;
  const container: Container = { name: 'main', image: 'busybox', resources: { requests } };
  if (options.hostPort) container.ports = [{ containerPort: 80, hostPort: options.hostPort, protocol: 'TCP' }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      uid: `uid-${name}`,
      labels: options.labels,
      ...(options.ownerUID ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'owner', uid: options.ownerUID, controller: true }] } : {}),
    },
    spec: { containers: [container], ...(options.nodeName ? { nodeName: options.nodeName } : {}), ...options.spec },
  };
}
