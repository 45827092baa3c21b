import net from 'node:net';
import test from 'ava';
import { ApiClient } from '../../api/client.js';
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

/** Starts a TCP proxy to port that can stop forwarding, as a network partition would, while keeping connections open. */
async function freezableProxy(port: number): Promise<{ url: string; freeze(): void; close(): Promise<void> }> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((inbound) => {
    const outbound = net.connect(port, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.on('data', (chunk: Buffer) => frozen || outbound.write(chunk));
    outbound.on('data', (chunk: Buffer) => frozen || inbound.write(chunk));
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
  };
  return { url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`, freeze: () => (frozen = true), close };
}

test('leader cut off from the apiserver steps down before its lease expires', async (t) => {
  const cluster = await startCluster({ withoutManager: true });
  t.teardown(() => cluster.close());
  const proxy = await freezableProxy(Number(new URL(cluster.api.url).port));
  const client = new ApiClient({ server: proxy.url });

  let lostAt = 0;
  // A renew deadline well inside the lease duration leaves room for request timeouts under load.
  const manager = await startControllerManager({
    client, leaderElect: true, identity: 'cut-off', ...timings, renewDeadlineMs: 2000,
    onLostLeadership: () => {
      lostAt = Date.now();
    },
  });
  // Teardowns run last first. Closing the client and the proxy fails the requests that hang behind the freeze, so the manager can stop.
  t.teardown(() => manager.stop());
  t.teardown(() => proxy.close());
  t.teardown(() => client.close());
  await waitFor('the leader', async () => (await cluster.client.get<Lease>(leases, 'kube-system', 'kube-controller-manager')).spec.holderIdentity === 'cut-off');
  // A reconciled ReplicaSet shows that the controllers have started, which their stop waits for.
  await cluster.client.create(replicaSets, newReplicaSet('web', 1));
  await waitFor('the leader reconciling', async () => (await cluster.client.get<ReplicaSet>(replicaSets, 'default', 'web')).status?.observedGeneration === 1);

  proxy.freeze();
  const frozenAt = Date.now();
  await waitFor('the leader to step down', async () => lostAt > 0, 10_000);
  // Requests that hang must not hold the leader past its renew deadline, nor past the lease another candidate waits out.
  t.true(lostAt - frozenAt < timings.leaseDurationSeconds * 1000, `stepped down after ${lostAt - frozenAt} ms`);
});
