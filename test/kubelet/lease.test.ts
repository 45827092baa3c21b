// The node Lease against a real apiserver, including a cluster whose
// kube-node-lease namespace has been removed.

import test from 'ava';
import { createLogger } from '../../api/log.js';
import { leases, namespaces } from '../../api/resources.js';
import type { Lease, Namespace } from '../../api/types.js';
import { NodeLease } from '../../kubelet/lease.js';
import { startTestApiserver } from '../helpers/apiserver.js';

test('lease recreates a missing kube-node-lease', async (t) => {
  const api = await startTestApiserver();
  t.teardown(() => api.close());
  // With no namespace controller running, the finalize call completes the deletion.
  await api.client.delete(namespaces, undefined, 'kube-node-lease');
  const terminating = await api.client.get<Namespace>(namespaces, undefined, 'kube-node-lease');
  await api.client.request('PUT', '/api/v1/namespaces/kube-node-lease/finalize', { ...terminating, spec: { finalizers: [] } });
  await t.throwsAsync(api.client.get<Namespace>(namespaces, undefined, 'kube-node-lease'), { message: /404/ });

  const lease = new NodeLease({ client: api.client, nodeName: 'node-a', logger: createLogger('test'), node: () => undefined });
  await lease.renew();
  const stored = await api.client.get<Lease>(leases, 'kube-node-lease', 'node-a');
  t.is(stored.spec.holderIdentity, 'node-a');
  t.is(stored.spec.leaseDurationSeconds, 40);
});
