import test, { type ExecutionContext } from 'ava';
import { isNotFound } from '../../api/client.js';
import { leases, nodes, pods } from '../../api/resources.js';
import type { Lease, Node, Pod } from '../../api/types.js';
import { startHollowNodes } from '../../kubelet/hollow/hollow.js';
import { startScheduler } from '../../scheduler/scheduler.js';
import { startTestApiserver } from '../helpers/apiserver.js';
import { newPod } from '../scheduler/builders.js';
import { waitFor } from '../scheduler/cluster.js';

async function startHollowCluster(t: ExecutionContext, count: number, withScheduler = true) {
  const api = await startTestApiserver();
  const hollow = await startHollowNodes({ client: api.client, count, cpu: '4', memory: '16Gi', maxPods: 20, namePrefix: 'h-', leaseRenewIntervalMs: 300 });
  const scheduler = withScheduler ? await startScheduler({ client: api.client, initialBackoffMs: 100, maxBackoffMs: 500 }) : undefined;
  t.teardown(async () => {
    await scheduler?.stop();
    await hollow.stop();
    await api.close();
  });
  return { api, hollow };
}

test('hollow nodes register as Ready nodes', async (t) => {
  const { api, hollow } = await startHollowCluster(t, 5, false);
  t.deepEqual(hollow.nodeNames, ['h-0', 'h-1', 'h-2', 'h-3', 'h-4']);
  const list = await api.client.list<Node>(nodes);
  t.is(list.items.length, 5);
  const node = list.items.find((item) => item.metadata.name === 'h-3');
  if (!node) return t.fail('node h-3 missing');
  t.deepEqual(node.status?.allocatable, { cpu: '4', memory: '16Gi', pods: '20' });
  t.deepEqual(node.status?.capacity, { cpu: '4', memory: '16Gi', pods: '20' });
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  t.is(ready?.status, 'True');
  t.is(ready?.reason, 'KubeletReady');
  t.deepEqual(node.status?.addresses, [{ type: 'InternalIP', address: '127.1.0.3' }, { type: 'Hostname', address: 'h-3' }]);
  t.is(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
  t.regex(node.status?.nodeInfo?.kubeletVersion ?? '', /^v1\.32\./);
  t.is(node.spec.podCIDR, '10.64.3.0/24');
});

test('hollow nodes renew their leases', async (t) => {
  const { api } = await startHollowCluster(t, 3, false);
  const first = await api.client.get<Lease>(leases, 'kube-node-lease', 'h-1');
  t.is(first.spec.holderIdentity, 'h-1');
  t.is(first.spec.leaseDurationSeconds, 40);
  t.is(first.metadata.ownerReferences?.[0]?.kind, 'Node');
  const renewed = await waitFor('a later renewTime', async () => {
    const lease = await api.client.get<Lease>(leases, 'kube-node-lease', 'h-1');
    return lease.spec.renewTime !== first.spec.renewTime ? lease : undefined;
  });
  t.true(Date.parse(renewed.spec.renewTime ?? '') > Date.parse(first.spec.renewTime ?? ''));
});

test('bound pods become Running and Ready', async (t) => {
  const { api } = await startHollowCluster(t, 3);
  for (let i = 0; i < 6; i++) await api.client.create(pods, { ...newPod(`web-${i}`, { cpu: '100m', memory: '64Mi' }), metadata: { name: `web-${i}`, namespace: 'default' } });
  const podIPs = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const pod = await waitFor(`pod web-${i} running`, async () => {
      const current = await api.client.get<Pod>(pods, 'default', `web-${i}`);
      return current.status?.phase === 'Running' ? current : undefined;
    });
    const index = Number(pod.spec.nodeName?.slice('h-'.length));
    t.is(pod.status?.hostIP, `127.1.0.${index}`);
    t.regex(pod.status?.podIP ?? '', new RegExp(`^10\\.64\\.${index}\\.\\d+$`));
    podIPs.add(pod.status?.podIP ?? '');
    for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'] as const) {
      t.is(pod.status?.conditions?.find((condition) => condition.type === type)?.status, 'True', type);
    }
    t.is(pod.status?.containerStatuses?.[0]?.ready, true);
    t.truthy(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt);
    t.truthy(pod.status?.startTime);
    t.is(pod.status?.qosClass, 'Burstable');
  }
  t.is(podIPs.size, 6);
});

test('deleted pods are removed', async (t) => {
  const { api } = await startHollowCluster(t, 2);
  await api.client.create(pods, { ...newPod('doomed'), metadata: { name: 'doomed', namespace: 'default' } });
  await waitFor('pod running', async () => (await api.client.get<Pod>(pods, 'default', 'doomed')).status?.phase === 'Running' || undefined);
  // A graceful delete only marks the pod; the hollow node finishes it.
  await api.client.delete(pods, 'default', 'doomed', { gracePeriodSeconds: 30 });
  const gone = await waitFor('pod gone', async () => {
    try {
      await api.client.get<Pod>(pods, 'default', 'doomed');
      return undefined;
    } catch (error) {
      if (isNotFound(error)) return true;
      throw error;
    }
  });
  t.true(gone);
});
