// Schedulers with leader election: the one that acquires the
// kube-system/kube-scheduler Lease places pods, and a standby takes over when
// it stops.

import test from 'ava';
import { events, leases } from '../../api/resources.js';
import type { Event, Lease } from '../../api/types.js';
import { startScheduler } from '../../scheduler/scheduler.js';
import { startCommand } from '../helpers/command.js';
import { newNode, newPod } from './builders.js';
import { startCluster, waitFor, type TestCluster } from './cluster.js';

const timings = { leaseDurationSeconds: 4, renewDeadlineMs: 3000, retryPeriodMs: 300, initialBackoffMs: 100, maxBackoffMs: 500 };

async function holder(cluster: TestCluster): Promise<string | undefined> {
  const lease = await cluster.client.get<Lease>(leases, 'kube-system', 'kube-scheduler').catch(() => undefined);
  return lease?.spec.holderIdentity || undefined;
}

test('standby scheduler takes over the lease', async (t) => {
  const cluster = await startCluster(t, { withScheduler: false });
  await cluster.createNode(newNode('node-a'));
  const first = await startScheduler({ client: cluster.client, leaderElect: true, identity: 'first', ...timings });
  t.teardown(() => first.stop());
  await waitFor('the first scheduler to lead', async () => ((await holder(cluster)) === 'first' ? true : undefined));
  const second = await startScheduler({ client: cluster.client, leaderElect: true, identity: 'second', ...timings });
  t.teardown(() => second.stop());

  await cluster.createPod(newPod('before'));
  t.is(await cluster.boundNode('before'), 'node-a');
  t.is(await holder(cluster), 'first');

  await first.stop();
  await waitFor('the second scheduler to lead', async () => ((await holder(cluster)) === 'second' ? true : undefined));
  await cluster.createPod(newPod('after'));
  t.is(await cluster.boundNode('after'), 'node-a');

  // Each change of leader is an event on the Lease, as kubectl get events -n kube-system shows.
  const messages = await waitFor('leader election events', async () => {
    const list = await cluster.client.list<Event>(events, { namespace: 'kube-system' });
    const found = list.items.filter((event) => event.reason === 'LeaderElection' && event.involvedObject.kind === 'Lease').map((event) => event.message);
    return found.length >= 3 ? found : undefined;
  });
  t.true(messages.includes('first became leader'));
  t.true(messages.includes('first stopped leading'));
  t.true(messages.includes('second became leader'));
});

test('scheduler command elects itself and stops on SIGTERM', async (t) => {
  const cluster = await startCluster(t, { withScheduler: false });
  await cluster.createNode(newNode('node-a'));
  const command = startCommand(t, ['scheduler', '--kubeconfig', cluster.kubeconfigPath, '--leader-elect', '--leader-elect-identity', 'command']);

  await cluster.createPod(newPod('web'));
  t.is(await cluster.boundNode('web'), 'node-a');
  t.is(await holder(cluster), 'command');

  command.child.kill('SIGTERM');
  t.is(await command.exited, 0, command.stderr());
  // A leader that stops releases the Lease, so a successor need not wait for it to expire.
  t.is(await holder(cluster), undefined);
});
