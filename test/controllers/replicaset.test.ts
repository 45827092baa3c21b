import test from 'ava';
import { pods as podResource, replicaSets, events } from '../../api/resources.js';
import type { Event, Pod, ReplicaSet } from '../../api/types.js';
import { isReady, isTerminating, listPods, newReplicaSet, startCluster, waitFor } from './setup.js';

test('replicaset creates pods with generated names and reports status', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(replicaSets, newReplicaSet('web', 3));
  const rs = await waitFor('3 ready replicas', async () => {
    const current = await client.get<ReplicaSet>(replicaSets, 'default', 'web');
    return current.status?.readyReplicas === 3 && current.status.availableReplicas === 3 ? current : undefined;
  });

  t.is(rs.status?.replicas, 3);
  t.is(rs.status?.fullyLabeledReplicas, 3);
  t.is(rs.status?.observedGeneration, rs.metadata.generation);
  const pods = await listPods(client, { app: 'web' });
  t.is(pods.length, 3);
  for (const pod of pods) {
    t.regex(pod.metadata.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const owner = pod.metadata.ownerReferences?.[0];
    t.is(owner?.kind, 'ReplicaSet');
    t.is(owner?.uid, rs.metadata.uid);
    t.true(owner?.controller);
  }

  const recorded = await waitFor('SuccessfulCreate events', async () => {
    const list = await client.list<Event>(events, { namespace: 'default' });
    const created = list.items.filter((event) => event.reason === 'SuccessfulCreate' && event.involvedObject.name === 'web');
    return created.length === 3 ? created : undefined;
  });
  t.is(recorded[0].source?.component, 'replicaset-controller');
  t.is(recorded[0].involvedObject.kind, 'ReplicaSet');
});

test('replicaset replaces a deleted pod', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(replicaSets, newReplicaSet('web', 2));
  const pods = await waitFor('2 ready pods', async () => {
    const current = (await listPods(client, { app: 'web' })).filter(isReady);
    return current.length === 2 ? current : undefined;
  });
  const victim = pods[0].metadata.name ?? '';
  await client.delete(podResource, 'default', victim);

  const replaced = await waitFor('a replacement pod', async () => {
    const current = (await listPods(client, { app: 'web' })).filter((pod) => !isTerminating(pod));
    return current.length === 2 && current.every((pod) => pod.metadata.name !== victim) ? current : undefined;
  });
  t.is(replaced.length, 2);
});

test('replicaset scales down in deletion-preference order', async (t) => {
  // Only pods labelled ready=yes become Ready, so the deletion order is visible.
  const cluster = await startCluster({ kubelet: { ready: (pod) => pod.metadata.labels?.ready === 'yes' } });
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(replicaSets, newReplicaSet('web', 4));
  const pods = await waitFor('4 running pods', async () => {
    const current = await listPods(client, { app: 'web' });
    return current.length === 4 && current.every((pod) => pod.status?.phase === 'Running') ? current : undefined;
  });
  // Mark two pods as ready ones by label; the fake kubelet reports them Ready.
  const readyNames = pods.slice(0, 2).map((pod) => pod.metadata.name ?? '');
  for (const name of readyNames) {
    const pod = await client.get<Pod>(podResource, 'default', name);
    pod.metadata.labels = { ...pod.metadata.labels, ready: 'yes' };
    await client.update(podResource, pod);
  }
  cluster.kubelet.setReady((pod) => pod.metadata.labels?.ready === 'yes');
  await waitFor('2 ready pods', async () => (await listPods(client, { app: 'web' })).filter(isReady).length === 2);

  const rs = await client.get<ReplicaSet>(replicaSets, 'default', 'web');
  rs.spec.replicas = 2;
  await client.update(replicaSets, rs);

  const remaining = await waitFor('2 pods left', async () => {
    const current = (await listPods(client, { app: 'web' })).filter((pod) => !isTerminating(pod));
    return current.length === 2 ? current : undefined;
  });
  t.deepEqual(remaining.map((pod) => pod.metadata.name).sort(), [...readyNames].sort());
});

test('replicaset adopts orphans and releases pods that stop matching', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  const orphan: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'orphan', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image: 'busybox:1' }] },
  };
  await client.create(podResource, orphan);
  await client.create(replicaSets, newReplicaSet('web', 2));

  const rs = await waitFor('2 replicas', async () => {
    const current = await client.get<ReplicaSet>(replicaSets, 'default', 'web');
    return current.status?.replicas === 2 ? current : undefined;
  });
  const adopted = await client.get<Pod>(podResource, 'default', 'orphan');
  t.is(adopted.metadata.ownerReferences?.[0]?.uid, rs.metadata.uid);
  t.is((await listPods(client, { app: 'web' })).length, 2);

  adopted.metadata.labels = { app: 'other' };
  await client.update(podResource, adopted);
  const released = await waitFor('the pod released', async () => {
    const pod = await client.get<Pod>(podResource, 'default', 'orphan');
    return (pod.metadata.ownerReferences ?? []).length === 0 ? pod : undefined;
  });
  t.deepEqual(released.metadata.labels, { app: 'other' });
  await waitFor('a replacement for the released pod', async () => (await listPods(client, { app: 'web' })).filter((pod) => !isTerminating(pod)).length === 2);
});

test('replicaset counts available replicas after minReadySeconds', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  // Record every status the controller writes, so the check does not depend on when it polls.
  const statuses: { ready: number; available: number }[] = [];
  const watch = client.watch<ReplicaSet>(replicaSets, { namespace: 'default' }, (event) => {
    const status = event.object.status;
    if (status) statuses.push({ ready: status.readyReplicas ?? 0, available: status.availableReplicas ?? 0 });
  });
  t.teardown(() => watch.stop());

  const rs = newReplicaSet('slow', 2);
  rs.spec.minReadySeconds = 3;
  await client.create(replicaSets, rs);

  await waitFor('2 available replicas', async () => (await client.get<ReplicaSet>(replicaSets, 'default', 'slow')).status?.availableReplicas === 2);
  await waitFor('the last status watched', () => statuses.some((status) => status.available === 2));
  t.true(statuses.some((status) => status.ready === 2 && status.available < 2), JSON.stringify(statuses));
});
