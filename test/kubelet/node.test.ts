import test from 'ava';
import { leases, nodes } from '../../api/resources.js';
import type { Lease, Node } from '../../api/types.js';
import { startHarness, waitFor } from './fixtures.js';

test('kubelet registers its node with status', async (t) => {
  const harness = await startHarness({ kubelet: { podCIDR: '10.244.7.0/24', maxPods: 50 } });
  t.teardown(() => harness.close());
  const node = await harness.api.client.get<Node>(nodes, undefined, harness.nodeName);

  t.is(node.metadata.labels?.['kubernetes.io/hostname'], harness.nodeName);
  t.is(node.spec.podCIDR, '10.244.7.0/24');
  t.is(node.status?.capacity?.pods, '50');
  t.regex(node.status?.capacity?.cpu ?? '', /^\d+$/);
  t.regex(node.status?.allocatable?.memory ?? '', /^\d+(Ki|Mi|Gi)?$/);
  t.deepEqual(node.status?.addresses?.find((address) => address.type === 'InternalIP'), { type: 'InternalIP', address: '127.0.0.1' });
  t.is(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, harness.kubelet.port);
  t.is(node.status?.nodeInfo?.containerRuntimeVersion, 'fake://0.1.0');
  t.regex(node.status?.nodeInfo?.kubeletVersion ?? '', /^v1\.32\.\d+-tinykube$/);
  t.truthy(node.status?.nodeInfo?.kernelVersion);
  t.truthy(node.status?.nodeInfo?.osImage);

  const conditions = Object.fromEntries((node.status?.conditions ?? []).map((condition) => [condition.type, condition]));
  t.is(conditions.Ready?.status, 'True');
  t.is(conditions.Ready?.reason, 'KubeletReady');
  t.is(conditions.Ready?.message, 'kubelet is posting ready status');
  t.is(conditions.MemoryPressure?.reason, 'KubeletHasSufficientMemory');
  t.is(conditions.DiskPressure?.reason, 'KubeletHasNoDiskPressure');
  t.is(conditions.PIDPressure?.reason, 'KubeletHasSufficientPID');
});

test('kubelet renews its node lease', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const first = await waitFor('the node lease', () => harness.api.client.get<Lease>(leases, 'kube-node-lease', harness.nodeName));
  t.is(first.spec.holderIdentity, harness.nodeName);
  t.is(first.spec.leaseDurationSeconds, 40);
  t.is(first.metadata.ownerReferences?.[0]?.kind, 'Node');

  const renewed = await waitFor('a renewal', async () => {
    const lease = await harness.api.client.get<Lease>(leases, 'kube-node-lease', harness.nodeName);
    return lease.spec.renewTime !== first.spec.renewTime ? lease : undefined;
  });
  t.true(Date.parse(renewed.spec.renewTime ?? '') > Date.parse(first.spec.renewTime ?? ''));
});

test('kubelet re-registers over an existing node', async (t) => {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  await harness.restartKubelet();
  const node = await harness.api.client.get<Node>(nodes, undefined, harness.nodeName);
  t.is(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, harness.kubelet.port);
});
