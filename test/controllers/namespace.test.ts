import test from 'ava';
import { isNotFound } from '../../api/client.js';
import { deployments, events, leases, namespaces, pods as podResource } from '../../api/resources.js';
import type { Deployment, Event, Lease, Namespace, Pod } from '../../api/types.js';
import { newDeployment, startCluster, waitFor } from './setup.js';

test('deleting a namespace deletes everything in it, then the namespace', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;

  await client.create<Namespace>(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  const deployment = newDeployment('web', 2);
  deployment.metadata.namespace = 'team';
  await client.create<Deployment>(deployments, deployment);
  await client.create<Lease>(leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'lock', namespace: 'team' }, spec: { holderIdentity: 'someone' } });
  await waitFor('2 running pods in team', async () => {
    const list = await client.list<Pod>(podResource, { namespace: 'team' });
    return list.items.filter((pod) => pod.status?.phase === 'Running').length === 2;
  });
  await waitFor('events in team', async () => (await client.list<Event>(events, { namespace: 'team' })).items.length > 0);

  await client.delete(namespaces, undefined, 'team');
  await waitFor('the namespace gone', async () => {
    try {
      await client.get(namespaces, undefined, 'team');
      return false;
    } catch (error) {
      return isNotFound(error);
    }
  }, 30_000);

  t.is((await client.list<Pod>(podResource, { namespace: 'team' })).items.length, 0);
  t.is((await client.list<Lease>(leases, { namespace: 'team' })).items.length, 0);
  t.is((await client.list<Deployment>(deployments, { namespace: 'team' })).items.length, 0);
});
