import test from 'ava';
import type { ApiClient } from '../../api/client.js';
import { isConflict, isNotFound } from '../../api/client.js';
import { deployments, pods as podResource, replicaSets, type ResourceType } from '../../api/resources.js';
import type { DeleteOptions, Deployment, Pod, ReplicaSet } from '../../api/types.js';
import { listPods, newDeployment, newReplicaSet, startCluster, waitFor } from './setup.js';

async function gone(client: ApiClient, type: ResourceType, name: string): Promise<boolean> {
  try {
    await client.get(type, 'default', name);
    return false;
  } catch (error) {
    if (isNotFound(error)) return true;
    throw error;
  }
}

/** Deletes with options, retrying while a concurrent status write makes the server return 409 Conflict. */
async function deleteWithRetry(client: ApiClient, type: ResourceType, name: string, options: DeleteOptions = {}): Promise<void> {
  await waitFor(`delete of ${name} accepted`, async () => {
    try {
      await client.delete(type, 'default', name, options);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  });
}

async function rolledOut(client: ApiClient, name: string, replicas: number): Promise<Deployment> {
  return waitFor(`deployment ${name} available`, async () => {
    const d = await client.get<Deployment>(deployments, 'default', name);
    return d.status?.availableReplicas === replicas && d.status.updatedReplicas === replicas ? d : undefined;
  });
}

test('background deletion removes replica sets and pods of a deployment', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(deployments, newDeployment('web', 2));
  await rolledOut(client, 'web', 2);
  await deleteWithRetry(client, deployments, 'web');

  await waitFor('replica sets gone', async () => (await client.list<ReplicaSet>(replicaSets, { namespace: 'default' })).items.length === 0);
  await waitFor('pods gone', async () => (await listPods(client, { app: 'web' })).length === 0);
  t.pass();
});

test('foreground deletion removes dependents before the owner', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(replicaSets, newReplicaSet('web', 2));
  await waitFor('2 pods', async () => (await listPods(client, { app: 'web' })).length === 2);

  await deleteWithRetry(client, replicaSets, 'web', { propagationPolicy: 'Foreground' });
  // While pods remain, the ReplicaSet stays with the foregroundDeletion finalizer.
  const deleting = await client.get<ReplicaSet>(replicaSets, 'default', 'web').catch(() => undefined);
  if (deleting) {
    t.truthy(deleting.metadata.deletionTimestamp);
    t.true(deleting.metadata.finalizers?.includes('foregroundDeletion'));
  }
  await waitFor('the replica set gone', () => gone(client, replicaSets, 'web'));
  t.is((await listPods(client, { app: 'web' })).length, 0);
});

test('orphan deletion leaves dependents without the owner reference', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(replicaSets, newReplicaSet('web', 2));
  const pods = await waitFor('2 pods', async () => {
    const current = await listPods(client, { app: 'web' });
    return current.length === 2 ? current : undefined;
  });

  await deleteWithRetry(client, replicaSets, 'web', { propagationPolicy: 'Orphan' });
  await waitFor('the replica set gone', () => gone(client, replicaSets, 'web'));

  const orphans = await waitFor('owner references removed', async () => {
    const current = await listPods(client, { app: 'web' });
    return current.every((pod) => (pod.metadata.ownerReferences ?? []).length === 0) ? current : undefined;
  });
  t.deepEqual(orphans.map((pod) => pod.metadata.name).sort(), pods.map((pod) => pod.metadata.name).sort());
  t.true(orphans.every((pod) => pod.metadata.deletionTimestamp === undefined));
  // The field goes with its last reference instead of staying as an empty list.
  t.true(orphans.every((pod) => !('ownerReferences' in pod.metadata)));
});

test('an object whose owner never existed is collected', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  const pod: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: 'dangling', namespace: 'default',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'missing', uid: '00000000-0000-0000-0000-000000000000' }],
    },
    spec: { containers: [{ name: 'app', image: 'busybox:1' }] },
  };
  await client.create(podResource, pod);
  await waitFor('the dangling pod gone', () => gone(client, podResource, 'dangling'));
  t.pass();
});

test('foreground deletion of a deployment goes through its replica sets', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create(deployments, newDeployment('web', 2));
  await rolledOut(client, 'web', 2);
  await deleteWithRetry(client, deployments, 'web', { propagationPolicy: 'Foreground' });

  await waitFor('the deployment gone', () => gone(client, deployments, 'web'));
  t.is((await client.list<ReplicaSet>(replicaSets, { namespace: 'default' })).items.length, 0);
  t.is((await listPods(client, { app: 'web' })).length, 0);
});
