import test from 'ava';
import { leases, replicaSets } from '../../api/resources.js';
import type { Lease, ReplicaSet } from '../../api/types.js';
import { startControllerManager } from '../../controllers/manager.js';
import { startCommand } from '../helpers/command.js';
import { newReplicaSet, startCluster, waitFor } from './setup.js';

const timings = { leaseDurationSeconds: 4, renewDeadlineMs: 3000, retryPeriodMs: 300 };

test('two managers elect one leader and the other takes over', async (t) => {
  const cluster = await startCluster({ withoutManager: true });
  t.teardown(() => cluster.close());
  const { client } = cluster;

  const first = await startControllerManager({ client, leaderElect: true, identity: 'first', ...timings });
  const firstLease = await waitFor('a leader', async () => {
    const lease = await client.get<Lease>(leases, 'kube-system', 'kube-controller-manager');
    return lease.spec.holderIdentity === 'first' ? lease : undefined;
  });
  t.is(firstLease.spec.leaseDurationSeconds, 4);
  const second = await startControllerManager({ client, leaderElect: true, identity: 'second', ...timings });
  t.teardown(() => second.stop());

  await client.create(replicaSets, newReplicaSet('before', 2));
  await waitFor('pods from the first leader', async () => (await client.get<ReplicaSet>(replicaSets, 'default', 'before')).status?.readyReplicas === 2);
  // The second manager keeps waiting while the first renews.
  t.is((await client.get<Lease>(leases, 'kube-system', 'kube-controller-manager')).spec.holderIdentity, 'first');

  await first.stop();
  const taken = await waitFor('the second manager leading', async () => {
    const lease = await client.get<Lease>(leases, 'kube-system', 'kube-controller-manager');
    return lease.spec.holderIdentity === 'second' ? lease : undefined;
  }, 15_000);
  t.true((taken.spec.leaseTransitions ?? 0) >= 1);

  await client.create(replicaSets, newReplicaSet('after', 2));
  await waitFor('pods from the second leader', async () => (await client.get<ReplicaSet>(replicaSets, 'default', 'after')).status?.readyReplicas === 2);
});

test('controller-manager command runs with leader election and stops on SIGTERM', async (t) => {
  const cluster = await startCluster({ withoutManager: true });
  t.teardown(() => cluster.close());
  const { client } = cluster;

  const command = startCommand(t, ['controller-manager', '--kubeconfig', cluster.api.kubeconfigPath,
    '--leader-elect', '--leader-elect-identity', 'command', '--node-monitor-grace-period', '1m30s'], { ...process.env, TINYKUBE_LOG_LEVEL: 'info' });

  await client.create(replicaSets, newReplicaSet('web', 2));
  await waitFor('pods from the command', async () => (await client.get<ReplicaSet>(replicaSets, 'default', 'web')).status?.readyReplicas === 2, 30_000);
  t.is((await client.get<Lease>(leases, 'kube-system', 'kube-controller-manager')).spec.holderIdentity, 'command');

  command.child.kill('SIGTERM');
  t.is(await command.exited, 0, command.stderr());
  t.regex(command.stderr(), /Shutting down controller-manager/);
});

test('a lease of a crashed leader is taken over after it expires', async (t) => {
  const cluster = await startCluster({ withoutManager: true });
  t.teardown(() => cluster.close());
  const { client } = cluster;

  // A leader that stopped renewing without releasing its Lease.
  await client.create<Lease>(leases, {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: { name: 'kube-controller-manager', namespace: 'kube-system' },
    spec: { holderIdentity: 'crashed', leaseDurationSeconds: 2, renewTime: new Date().toISOString(), leaseTransitions: 0 },
  });
  const started = Date.now();
  const manager = await startControllerManager({ client, leaderElect: true, identity: 'successor', ...timings });
  t.teardown(() => manager.stop());

  const lease = await waitFor('the successor leading', async () => {
    const current = await client.get<Lease>(leases, 'kube-system', 'kube-controller-manager');
    return current.spec.holderIdentity === 'successor' ? current : undefined;
  });
  t.true(Date.now() - started >= 2000, 'the successor waited for the lease to expire');
  t.is(lease.spec.leaseTransitions, 1);
});
