import test from 'ava';
import type { ApiClient } from '../../api/client.js';
import type { ReadonlyDeep } from '../../api/informer.js';
import { deployments, events, pods as podResource, replicaSets } from '../../api/resources.js';
import type { Deployment, Event, Pod, ReplicaSet } from '../../api/types.js';
import { computePodTemplateHash } from '../../controllers/deployment/hash.js';
import { isReady, isTerminating, listPods, newDeployment, startCluster, waitFor } from './setup.js';

async function getDeployment(client: ApiClient, name: string): Promise<Deployment> {
  return client.get<Deployment>(deployments, 'default', name);
}

async function ownedReplicaSets(client: ApiClient, deployment: Deployment): Promise<ReplicaSet[]> {
  const list = await client.list<ReplicaSet>(replicaSets, { namespace: 'default' });
  return list.items.filter((rs) => rs.metadata.ownerReferences?.some((owner) => owner.uid === deployment.metadata.uid));
}

/** Waits until the rollout of name finished: every desired pod updated and available, as `kubectl rollout status` checks. */
async function waitForRollout(client: ApiClient, name: string, timeoutMs = 30_000): Promise<Deployment> {
  return waitFor(`rollout of ${name}`, async () => {
    const d = await getDeployment(client, name);
    const desired = d.spec.replicas ?? 1;
    const s = d.status ?? {};
    const done = (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.updatedReplicas === desired &&
      s.replicas === desired && s.availableReplicas === desired;
    return done ? d : undefined;
  }, timeoutMs);
}

async function setImage(client: ApiClient, name: string, image: string): Promise<void> {
  await waitFor(`image ${image} set on ${name}`, async () => {
    const d = await getDeployment(client, name);
    d.spec.template.spec.containers[0].image = image;
    await client.update(deployments, d);
    return true;
  });
}

test('deployment creates a replica set named after the template hash', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(deployments, newDeployment('web', 3));
  const d = await waitForRollout(client, 'web');

  const [rs, ...others] = await ownedReplicaSets(client, d);
  t.is(others.length, 0);
  const hash = computePodTemplateHash(d.spec.template as ReadonlyDeep<Deployment['spec']['template']>);
  t.is(rs.metadata.name, `web-${hash}`);
  t.is(rs.metadata.labels?.['pod-template-hash'], hash);
  t.is(rs.spec.selector.matchLabels?.['pod-template-hash'], hash);
  t.is(rs.spec.template.metadata?.labels?.['pod-template-hash'], hash);
  t.is(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  t.is(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
  t.is(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
  t.is(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');

  const available = d.status?.conditions?.find((condition) => condition.type === 'Available');
  const progressing = d.status?.conditions?.find((condition) => condition.type === 'Progressing');
  t.is(available?.status, 'True');
  t.is(available?.reason, 'MinimumReplicasAvailable');
  await waitFor('Progressing NewReplicaSetAvailable', async () => {
    const current = await getDeployment(client, 'web');
    return current.status?.conditions?.find((condition) => condition.type === 'Progressing')?.reason === 'NewReplicaSetAvailable';
  });
  t.truthy(progressing);

  const scaling = await waitFor('a ScalingReplicaSet event', async () => {
    const list = await client.list<Event>(events, { namespace: 'default' });
    return list.items.find((event) => event.reason === 'ScalingReplicaSet' && event.involvedObject.name === 'web');
  });
  t.is(scaling.message, `Scaled up replica set web-${hash} from 0 to 3`);
  t.is(scaling.source?.component, 'deployment-controller');
});

const rollingCases: { name: string; replicas: number; maxSurge: number | string; maxUnavailable: number | string; maxPods: number; minAvailable: number }[] = [
  // 25% of 8: surge rounds up to 2 and unavailable rounds down to 2.
  { name: 'percentages', replicas: 8, maxSurge: '25%', maxUnavailable: '25%', maxPods: 10, minAvailable: 6 },
  { name: 'surge only', replicas: 5, maxSurge: 1, maxUnavailable: 0, maxPods: 6, minAvailable: 5 },
  { name: 'unavailable only', replicas: 5, maxSurge: 0, maxUnavailable: 2, maxPods: 5, minAvailable: 3 },
];

for (const { name, replicas, maxSurge, maxUnavailable, maxPods, minAvailable } of rollingCases) {
  test(`rolling update stays within bounds: ${name}`, async (t) => {
    const cluster = await startCluster({ kubelet: { readyDelayMs: 30 } });
    t.teardown(() => cluster.close());
    const { client } = cluster;

    await client.create(deployments, newDeployment('web', replicas, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } }));
    await waitForRollout(client, 'web');

    // Follow every pod change from here on and check both bounds after each one.
    const pods = new Map<string, Pod>();
    const violations: string[] = [];
    let observations = 0;
    const listed = await client.list<Pod>(podResource, { namespace: 'default' });
    for (const pod of listed.items) pods.set(pod.metadata.name ?? '', pod);
    const watch = client.watch<Pod>(podResource, { namespace: 'default', resourceVersion: listed.metadata.resourceVersion }, (event) => {
      if (event.type === 'DELETED') pods.delete(event.object.metadata.name ?? '');
      else if (event.type === 'ADDED' || event.type === 'MODIFIED') pods.set(event.object.metadata.name ?? '', event.object);
      else return;
      observations++;
      const live = [...pods.values()].filter((pod) => !isTerminating(pod));
      const available = live.filter(isReady).length;
      if (live.length > maxPods) violations.push(`${live.length} pods exist, more than ${maxPods}`);
      if (available < minAvailable) violations.push(`${available} pods available, fewer than ${minAvailable}`);
    });
    t.teardown(() => watch.stop());

    await setImage(client, 'web', 'busybox:2');
    const d = await waitForRollout(client, 'web');
    await waitFor('old pods gone', async () => (await listPods(client, { app: 'web' })).length === replicas);

    t.deepEqual(violations, []);
    t.true(observations > replicas * 2, `only ${observations} pod changes were observed`);
    t.is(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    const all = await ownedReplicaSets(client, d);
    t.is(all.length, 2);
    const current = all.find((rs) => rs.spec.template.spec.containers[0].image === 'busybox:2');
    t.is(current?.spec.replicas, replicas);
    t.is(current?.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    t.is(all.find((rs) => rs !== current)?.spec.replicas, 0);
  });
}

test('recreate deletes every old pod before creating new ones', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(deployments, newDeployment('web', 3, { strategy: { type: 'Recreate' } }));
  await waitForRollout(client, 'web');

  const images = new Map<string, string>();
  const overlaps: string[] = [];
  const listed = await client.list<Pod>(podResource, { namespace: 'default' });
  for (const pod of listed.items) images.set(pod.metadata.name ?? '', pod.spec.containers[0].image ?? '');
  const watch = client.watch<Pod>(podResource, { namespace: 'default', resourceVersion: listed.metadata.resourceVersion }, (event) => {
    if (event.type === 'DELETED') images.delete(event.object.metadata.name ?? '');
    else if (event.type === 'ADDED' || event.type === 'MODIFIED') images.set(event.object.metadata.name ?? '', event.object.spec.containers[0].image ?? '');
    const values = [...images.values()];
    if (values.includes('busybox:1') && values.includes('busybox:2')) overlaps.push(values.join(','));
  });
  t.teardown(() => watch.stop());

  await setImage(client, 'web', 'busybox:2');
  await waitForRollout(client, 'web');
  t.deepEqual(overlaps, []);
});

test('scaling mid-rollout scales replica sets proportionally', async (t) => {
  // Pods of the new template never become ready, so the rollout stops half way.
  const cluster = await startCluster({ kubelet: { ready: (pod) => pod.spec.containers[0].image === 'busybox:1' } });
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(deployments, newDeployment('web', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
  await waitForRollout(client, 'web');
  await setImage(client, 'web', 'busybox:2');

  // 13 pods at most and 8 available at least: the old RS stops at 8 and the new one at 5.
  const sizes = async () => {
    const d = await getDeployment(client, 'web');
    const all = await ownedReplicaSets(client, d);
    const size = (image: string) => all.find((rs) => rs.spec.template.spec.containers[0].image === image)?.spec.replicas;
    return { old: size('busybox:1'), current: size('busybox:2') };
  };
  await waitFor('the rollout to stall at 8 old and 5 new', async () => {
    const { old, current } = await sizes();
    return old === 8 && current === 5;
  });

  // A merge patch carries no resourceVersion, so the controller's status writes cannot make it conflict.
  const d = await getDeployment(client, 'web');
  await client.patch(deployments, d.metadata.namespace, 'web', { spec: { replicas: 20 } }, 'merge');

  // 23 pods are now allowed, 10 more: the old RS takes round(8 * 23 / 13) - 8 = 6, the new one the other 4.
  const scaled = await waitFor('23 pods shared between the replica sets', async () => {
    const current = await sizes();
    return (current.old ?? 0) + (current.current ?? 0) === 23 ? current : undefined;
  });
  t.deepEqual(scaled, { old: 14, current: 9 });
});

test('paused deployment waits until resumed', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(deployments, newDeployment('web', 2));
  await waitForRollout(client, 'web');

  let d = await getDeployment(client, 'web');
  d.spec.template.spec.containers[0].image = 'busybox:2';
  await client.patch(deployments, d.metadata.namespace, 'web', { spec: { paused: true, template: d.spec.template } }, 'merge');

  d = await waitFor('the DeploymentPaused condition', async () => {
    const current = await getDeployment(client, 'web');
    const progressing = current.status?.conditions?.find((condition) => condition.type === 'Progressing');
    return progressing?.reason === 'DeploymentPaused' && current.status?.observedGeneration === current.metadata.generation ? current : undefined;
  });
  t.is((await ownedReplicaSets(client, d)).length, 1);

  await client.patch(deployments, d.metadata.namespace, 'web', { spec: { paused: false } }, 'merge');
  d = await waitForRollout(client, 'web');
  t.is((await ownedReplicaSets(client, d)).length, 2);
  t.is(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
});

test('rollback reuses the old replica set with the next revision', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(deployments, newDeployment('web', 2));
  let d = await waitForRollout(client, 'web');
  const [first] = await ownedReplicaSets(client, d);
  await setImage(client, 'web', 'busybox:2');
  await waitForRollout(client, 'web');

  // What `kubectl rollout undo` does: copy the old ReplicaSet's template back.
  await setImage(client, 'web', 'busybox:1');
  d = await waitForRollout(client, 'web');
  const all = await ownedReplicaSets(client, d);
  t.is(all.length, 2);
  const reused = all.find((rs) => rs.metadata.uid === first.metadata.uid);
  t.is(reused?.spec.replicas, 2);
  t.is(reused?.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  t.is(reused?.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  t.is(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
});

test('revision history limit deletes the oldest replica sets', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(deployments, newDeployment('web', 1, { revisionHistoryLimit: 1 }));
  await waitForRollout(client, 'web');
  for (const image of ['busybox:2', 'busybox:3', 'busybox:4']) {
    await setImage(client, 'web', image);
    await waitForRollout(client, 'web');
  }
  const d = await getDeployment(client, 'web');
  const remaining = await waitFor('old replica sets cleaned up', async () => {
    const all = await ownedReplicaSets(client, d);
    return all.length === 2 ? all : undefined;
  });
  const images = remaining.map((rs) => rs.spec.template.spec.containers[0].image).sort();
  t.deepEqual(images, ['busybox:3', 'busybox:4']);
});

test('progress deadline marks a stuck rollout', async (t) => {
  const cluster = await startCluster({ kubelet: { ready: (pod) => pod.spec.containers[0].image !== 'broken:1' } });
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(deployments, newDeployment('web', 2, { progressDeadlineSeconds: 2 }));
  await waitForRollout(client, 'web');
  await setImage(client, 'web', 'broken:1');

  const d = await waitFor('ProgressDeadlineExceeded', async () => {
    const current = await getDeployment(client, 'web');
    const progressing = current.status?.conditions?.find((condition) => condition.type === 'Progressing');
    return progressing?.reason === 'ProgressDeadlineExceeded' ? current : undefined;
  }, 15_000);
  const progressing = d.status?.conditions?.find((condition) => condition.type === 'Progressing');
  t.is(progressing?.status, 'False');
  t.regex(progressing?.message ?? '', /has timed out progressing/);
});
