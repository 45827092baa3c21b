import test from 'ava';
import { nodes as nodeResource, pods as podResource, replicaSets } from '../../api/resources.js';
import type { Node, Pod } from '../../api/types.js';
import { isReady, isTerminating, listPods, newReplicaSet, startCluster, waitFor } from './setup.js';

test('silent node becomes unknown, is tainted, loses its pods and recovers', async (t) => {
  const cluster = await startCluster({
    kubelet: { nodeNames: ['node-1', 'node-2'], heartbeatMs: 300 },
    manager: { nodeMonitorGracePeriodSeconds: 3, defaultTolerationSeconds: 1 },
  });
  t.teardown(() => cluster.close());
  const { client } = cluster;

  // A pod that tolerates the unreachable taint for ever stays put.
  const tolerant: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'tolerant', namespace: 'default' },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'app', image: 'busybox:1' }],
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }],
    },
  };
  await client.create(podResource, tolerant);
  await client.create(replicaSets, newReplicaSet('web', 4));
  const before = await waitFor('4 ready pods on both nodes', async () => {
    const pods = (await listPods(client, { app: 'web' })).filter(isReady);
    return pods.length === 4 && pods.some((pod) => pod.spec.nodeName === 'node-1') ? pods : undefined;
  });
  const onNode1 = before.filter((pod) => pod.spec.nodeName === 'node-1').map((pod) => pod.metadata.name);

  cluster.kubelet.stopNode('node-1');
  const unknown = await waitFor('node-1 Ready=Unknown with taints', async () => {
    const node = await client.get<Node>(nodeResource, undefined, 'node-1');
    const keys = (node.spec.taints ?? []).map((taint) => `${taint.key}:${taint.effect}`);
    return keys.includes('node.kubernetes.io/unreachable:NoExecute') ? node : undefined;
  }, 30_000);
  const ready = unknown.status?.conditions?.find((condition) => condition.type === 'Ready');
  t.is(ready?.status, 'Unknown');
  t.is(ready?.reason, 'NodeStatusUnknown');
  t.is(ready?.message, 'Kubelet stopped posting node status.');
  t.true((unknown.spec.taints ?? []).some((taint) => taint.key === 'node.kubernetes.io/unreachable' && taint.effect === 'NoSchedule'));

  const replaced = await waitFor('pods of node-1 evicted and replaced on node-2', async () => {
    const pods = await listPods(client, { app: 'web' });
    const evicted = pods.filter((pod) => onNode1.includes(pod.metadata.name)).every(isTerminating);
    const live = pods.filter((pod) => !isTerminating(pod) && isReady(pod));
    return evicted && live.length === 4 && live.every((pod) => pod.spec.nodeName === 'node-2') ? live : undefined;
  }, 30_000);
  t.is(replaced.length, 4);
  const stayed = await waitFor('the tolerant pod marked not ready', async () => {
    const pod = await client.get<Pod>(podResource, 'default', 'tolerant');
    return pod.status?.conditions?.find((condition) => condition.type === 'Ready')?.status === 'False' ? pod : undefined;
  });
  t.is(stayed.metadata.deletionTimestamp, undefined);

  await cluster.kubelet.resumeNode('node-1');
  const recovered = await waitFor('taints removed from node-1', async () => {
    const node = await client.get<Node>(nodeResource, undefined, 'node-1');
    return (node.spec.taints ?? []).length === 0 ? node : undefined;
  }, 30_000);
  t.is(recovered.status?.conditions?.find((condition) => condition.type === 'Ready')?.status, 'True');
});
