// The REST verbs through the typed client against a real apiserver.

import test from 'ava';
import { isAlreadyExists, isConflict, isNotFound, ApiError } from '../../api/client.js';
import { deployments, namespaces, nodes, pods, replicaSets, resourcePath } from '../../api/resources.js';
import type { Deployment, KubeObject, Namespace, Node, Pod, Scale, Status } from '../../api/types.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';

let server: TestApiserver;
test.before(async () => {
  server = await startTestApiserver();
});
test.after.always(async () => {
  await server?.close();
});

function newPod(name: string, namespace = 'default', extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'crud' } },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...extra },
  };
}

function newDeployment(name: string): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    },
  };
}

test('system namespaces exist from the start', async (t) => {
  const list = await server.client.list<Namespace>(namespaces);
  const names = list.items.map((namespace) => namespace.metadata.name);
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) t.true(names.includes(name), name);
  t.is(list.items[0].status?.phase, 'Active');
});

test('create sets system metadata', async (t) => {
  const pod = await server.client.create(pods, newPod('meta'));
  t.regex(pod.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
  t.regex(pod.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.regex(pod.metadata.resourceVersion ?? '', /^\d+$/);
  t.is(pod.status?.phase, 'Pending');
  const again = await server.client.get<Pod>(pods, 'default', 'meta');
  t.is(again.metadata.uid, pod.metadata.uid);
});

test('create of an existing name is AlreadyExists', async (t) => {
  await server.client.create(pods, newPod('twice'));
  const error = await t.throwsAsync(server.client.create(pods, newPod('twice')));
  t.true(isAlreadyExists(error));
});

test('generateName makes a unique name', async (t) => {
  const pod = newPod('');
  delete pod.metadata.name;
  pod.metadata.generateName = 'gen-';
  const first = await server.client.create(pods, pod);
  const second = await server.client.create(pods, pod);
  t.regex(first.metadata.name ?? '', /^gen-[a-z0-9]{5}$/);
  t.not(first.metadata.name, second.metadata.name);
});

test('dryRun create stores nothing', async (t) => {
  const pod = await server.client.create(pods, newPod('dry'), { dryRun: true });
  t.is(pod.metadata.name, 'dry');
  t.true(isNotFound(await t.throwsAsync(server.client.get(pods, 'default', 'dry'))));
});

test('create in a missing namespace is NotFound', async (t) => {
  const error = await t.throwsAsync(server.client.create(pods, newPod('lost', 'nowhere')));
  t.true(isNotFound(error));
  t.regex(error?.message ?? '', /namespaces "nowhere" not found/);
});

test('update with a stale resourceVersion is Conflict', async (t) => {
  const pod = await server.client.create(pods, newPod('stale'));
  const fresh = { ...pod, metadata: { ...pod.metadata, labels: { app: 'crud', v: '2' } } };
  await server.client.update(pods, fresh);
  const error = await t.throwsAsync(server.client.update(pods, { ...pod, metadata: { ...pod.metadata, labels: { v: '3' } } }));
  t.true(isConflict(error));
});

test('generation counts spec changes only', async (t) => {
  const created = await server.client.create(deployments, newDeployment('gen'));
  t.is(created.metadata.generation, 1);
  const labelled = await server.client.update(deployments, { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } });
  t.is(labelled.metadata.generation, 1);
  const scaled = await server.client.update(deployments, { ...labelled, spec: { ...labelled.spec, replicas: 5 } });
  t.is(scaled.metadata.generation, 2);
  const withStatus = await server.client.updateStatus(deployments, { ...scaled, status: { replicas: 5, observedGeneration: 2 } });
  t.is(withStatus.metadata.generation, 2);
  t.is(withStatus.status?.observedGeneration, 2);
});

test('main resource ignores status and status ignores spec', async (t) => {
  const created = await server.client.create(deployments, newDeployment('split'));
  const updated = await server.client.update<Deployment>(deployments, { ...created, status: { replicas: 9 } });
  t.is(updated.status?.replicas, undefined);
  const statusWrite = await server.client.updateStatus(deployments, { ...updated, spec: { ...updated.spec, replicas: 7 }, status: { replicas: 1 } });
  t.is(statusWrite.spec.replicas, 2);
  t.is(statusWrite.status?.replicas, 1);
});

test('scale subresource reads and writes replicas', async (t) => {
  await server.client.create(deployments, newDeployment('scaled'));
  const scale = await server.client.get<Scale>(deployments, 'default', 'scaled', 'scale');
  t.is(scale.kind, 'Scale');
  t.is(scale.apiVersion, 'autoscaling/v1');
  t.is(scale.spec.replicas, 2);
  t.is(scale.status?.selector, 'app=scaled');
  await server.client.request('PUT', '/apis/apps/v1/namespaces/default/deployments/scaled/scale',
    { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'scaled', namespace: 'default' }, spec: { replicas: 4 } });
  const deployment = await server.client.get<Deployment>(deployments, 'default', 'scaled');
  t.is(deployment.spec.replicas, 4);
});

test('binding sets nodeName once', async (t) => {
  await server.client.create(pods, newPod('bind'));
  const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind' }, target: { kind: 'Node', name: 'node-a' } };
  await server.client.createSubresource(pods, 'default', 'bind', 'binding', binding);
  const pod = await server.client.get<Pod>(pods, 'default', 'bind');
  t.is(pod.spec.nodeName, 'node-a');
  t.is(pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled')?.status, 'True');
  const error = await t.throwsAsync(server.client.createSubresource(pods, 'default', 'bind', 'binding', binding));
  t.true(isConflict(error));
});

test('deleting an unbound pod removes it at once', async (t) => {
  await server.client.create(pods, newPod('unbound'));
  const deleted = await server.client.delete<Pod>(pods, 'default', 'unbound');
  t.is(deleted.metadata.name, 'unbound');
  t.true(isNotFound(await t.throwsAsync(server.client.get(pods, 'default', 'unbound'))));
});

test('deleting a bound pod waits for its kubelet', async (t) => {
  await server.client.create(pods, newPod('bound', 'default', { nodeName: 'node-a', terminationGracePeriodSeconds: 10 }));
  await server.client.delete(pods, 'default', 'bound');
  const pod = await server.client.get<Pod>(pods, 'default', 'bound');
  t.truthy(pod.metadata.deletionTimestamp);
  t.is(pod.metadata.deletionGracePeriodSeconds, 10);
  await server.client.delete(pods, 'default', 'bound', { gracePeriodSeconds: 0 });
  t.true(isNotFound(await t.throwsAsync(server.client.get(pods, 'default', 'bound'))));
});

test('finalizers hold an object until removed', async (t) => {
  const pod = newPod('held');
  pod.metadata.finalizers = ['example.com/hold'];
  await server.client.create(pods, pod);
  await server.client.delete(pods, 'default', 'held');
  const marked = await server.client.get<Pod>(pods, 'default', 'held');
  t.truthy(marked.metadata.deletionTimestamp);
  await server.client.update(pods, { ...marked, metadata: { ...marked.metadata, finalizers: [] } });
  t.true(isNotFound(await t.throwsAsync(server.client.get(pods, 'default', 'held'))));
});

test('propagationPolicy adds the garbage collector finalizers', async (t) => {
  await server.client.create(replicaSets, { ...newDeployment('fg'), apiVersion: 'apps/v1', kind: 'ReplicaSet' } as KubeObject);
  await server.client.delete(replicaSets, 'default', 'fg', { propagationPolicy: 'Foreground' });
  const foreground = await server.client.get(replicaSets, 'default', 'fg');
  t.deepEqual(foreground.metadata.finalizers, ['foregroundDeletion']);
  await server.client.create(replicaSets, { ...newDeployment('orphan'), apiVersion: 'apps/v1', kind: 'ReplicaSet' } as KubeObject);
  await server.client.delete(replicaSets, 'default', 'orphan', { propagationPolicy: 'Orphan' });
  const orphaned = await server.client.get(replicaSets, 'default', 'orphan');
  t.deepEqual(orphaned.metadata.finalizers, ['orphan']);
});

test('delete preconditions are checked', async (t) => {
  await server.client.create(pods, newPod('precondition'));
  const error = await t.throwsAsync(server.client.delete(pods, 'default', 'precondition', { preconditions: { uid: 'not-the-uid' } }));
  t.true(isConflict(error));
  t.regex(error?.message ?? '', /Precondition failed: UID in precondition/);
});

test('namespace deletion waits for finalize', async (t) => {
  await server.client.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
  await server.client.create(pods, newPod('inside', 'doomed'));
  await server.client.delete(namespaces, undefined, 'doomed');
  const terminating = await server.client.get<Namespace>(namespaces, undefined, 'doomed');
  t.is(terminating.status?.phase, 'Terminating');
  t.deepEqual(terminating.spec?.finalizers, ['kubernetes']);

  const error = await t.throwsAsync<ApiError>(server.client.create(pods, newPod('late', 'doomed')));
  t.is(error?.code, 403);
  t.regex(error?.message ?? '', /unable to create new content in namespace doomed because it is being terminated/);

  await server.client.delete(pods, 'doomed', 'inside');
  await server.client.request('PUT', '/api/v1/namespaces/doomed/finalize', { ...terminating, spec: { finalizers: [] } });
  t.true(isNotFound(await t.throwsAsync(server.client.get(namespaces, undefined, 'doomed'))));
});

test('system namespaces cannot be deleted', async (t) => {
  for (const name of ['default', 'kube-system', 'kube-public']) {
    const error = await t.throwsAsync<ApiError>(server.client.delete(namespaces, undefined, name));
    t.is(error?.code, 403, name);
    t.regex(error?.message ?? '', /this namespace may not be deleted/, name);
  }
});

test('list filters by label and field and pages', async (t) => {
  await server.client.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } });
  for (let i = 0; i < 5; i++) {
    const pod = newPod(`p${i}`, 'paging', i % 2 === 0 ? { nodeName: 'node-even' } : {});
    pod.metadata.labels = { parity: i % 2 === 0 ? 'even' : 'odd' };
    await server.client.create(pods, pod);
  }
  const even = await server.client.list<Pod>(pods, { namespace: 'paging', labelSelector: 'parity=even' });
  t.deepEqual(even.items.map((pod) => pod.metadata.name), ['p0', 'p2', 'p4']);
  const onNode = await server.client.list<Pod>(pods, { namespace: 'paging', fieldSelector: 'spec.nodeName=node-even' });
  t.is(onNode.items.length, 3);
  const named = await server.client.list<Pod>(pods, { fieldSelector: 'metadata.name=p1,metadata.namespace=paging' });
  t.deepEqual(named.items.map((pod) => pod.metadata.name), ['p1']);

  const first = await server.client.list<Pod>(pods, { namespace: 'paging', limit: 2 });
  t.is(first.items.length, 2);
  t.is(first.metadata.remainingItemCount, 3);
  t.truthy(first.metadata.continue);
  const second = await server.client.list<Pod>(pods, { namespace: 'paging', limit: 10, continue: first.metadata.continue });
  t.deepEqual(second.items.map((pod) => pod.metadata.name), ['p2', 'p3', 'p4']);
  t.falsy(second.metadata.continue);
});

test('later pages list the snapshot of the first', async (t) => {
  await server.client.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'snapshot' } });
  for (const name of ['a', 'b', 'c', 'd']) await server.client.create(pods, newPod(name, 'snapshot'));
  const first = await server.client.list<Pod>(pods, { namespace: 'snapshot', limit: 2 });
  t.deepEqual(first.items.map((pod) => pod.metadata.name), ['a', 'b']);

  await server.client.delete(pods, 'snapshot', 'c', { gracePeriodSeconds: 0 });
  await server.client.patch(pods, 'snapshot', 'd', { metadata: { labels: { changed: 'yes' } } });
  await server.client.create(pods, newPod('e', 'snapshot'));

  const rest = await server.client.list<Pod>(pods, { namespace: 'snapshot', limit: 10, continue: first.metadata.continue });
  t.deepEqual(rest.items.map((pod) => pod.metadata.name), ['c', 'd']);
  t.is(rest.items[1].metadata.labels?.changed, undefined);
  t.is(rest.metadata.resourceVersion, first.metadata.resourceVersion);
  const now = await server.client.list<Pod>(pods, { namespace: 'snapshot' });
  t.deepEqual(now.items.map((pod) => pod.metadata.name), ['a', 'b', 'd', 'e']);
});

test('a continue token past the change log is Expired', async (t) => {
  const small = await startTestApiserver({ watchWindow: 3 });
  t.teardown(() => small.close());
  for (const name of ['a', 'b', 'c']) await small.client.create(pods, newPod(name));
  const first = await small.client.list<Pod>(pods, { namespace: 'default', limit: 1 });
  for (const name of ['d', 'e', 'f', 'g']) await small.client.create(pods, newPod(name));
  const error = await t.throwsAsync<ApiError>(small.client.list(pods, { namespace: 'default', limit: 1, continue: first.metadata.continue }));
  t.is(error?.code, 410);
  t.is(error?.reason, 'Expired');
});

test('unsupported field selector is BadRequest', async (t) => {
  const error = await t.throwsAsync<ApiError>(server.client.list(pods, { fieldSelector: 'spec.foo=bar' }));
  t.is(error?.code, 400);
});

test('deletecollection removes the selected objects', async (t) => {
  await server.client.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sweep' } });
  for (const name of ['a', 'b', 'c']) {
    const pod = newPod(name, 'sweep');
    pod.metadata.labels = { sweep: name === 'c' ? 'keep' : 'yes' };
    await server.client.create(pods, pod);
  }
  await server.client.request('DELETE', '/api/v1/namespaces/sweep/pods?labelSelector=sweep%3Dyes');
  const left = await server.client.list<Pod>(pods, { namespace: 'sweep' });
  t.deepEqual(left.items.map((pod) => pod.metadata.name), ['c']);
});

test('eviction deletes the pod', async (t) => {
  await server.client.create(pods, newPod('evicted'));
  const status = await server.client.createSubresource<Status>(pods, 'default', 'evicted', 'eviction',
    { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evicted', namespace: 'default' } });
  t.is(status.status, 'Success');
  t.true(isNotFound(await t.throwsAsync(server.client.get(pods, 'default', 'evicted'))));
});

test('node status is written through the status subresource', async (t) => {
  const node = await server.client.create<Node>(nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-status' }, spec: {} });
  const updated = await server.client.updateStatus(nodes, { ...node, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  t.is(updated.status?.conditions?.[0].status, 'True');
  const ignored = await server.client.update<Node>(nodes, { ...updated, status: {} });
  t.is(ignored.status?.conditions?.[0].status, 'True');
});

test('send writes without reading the result back', async (t) => {
  const path = resourcePath(pods, 'default');
  t.is(await server.client.send('POST', path, newPod('sent')), undefined);
  t.is((await server.client.get<Pod>(pods, 'default', 'sent')).spec.containers[0].image, 'busybox');
  const error = await t.throwsAsync<ApiError>(server.client.send('POST', path, newPod('sent')));
  t.is(error?.status.reason, 'AlreadyExists');
  t.is(error?.status.code, 409);
});
