// Builders of valid, fully specified objects for the schema tests; each test
// changes only the field it is about.

import type { Deployment, Node, Pod, ReplicaSet } from '../../../api/types.js';

export function newPod(name = 'web'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
  };
}

export function newDeployment(name = 'web'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
      },
    },
  };
}

export function newReplicaSet(name = 'web-1'): ReplicaSet {
  const deployment = newDeployment();
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default' }, spec: deployment.spec };
}

export function newNode(name = 'node-1'): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} };
}
