import test from 'ava';
import { deployments, pods } from '../../../api/resources.js';
import type { Deployment, KubeObject, ManagedFieldsEntry, Pod } from '../../../api/types.js';
import { StatusError } from '../../../apiserver/errors.js';
import { applyPatch, updateManagedFields } from '../../../apiserver/patch/index.js';
import { newDeployment, newPod } from './builders.js';

const applyType = 'application/apply-patch+yaml';

function apply<T extends KubeObject>(current: T | undefined, body: string, manager = 'kubectl', force = false): T {
  const type = body.includes('Deployment') ? deployments : pods;
  return applyPatch(type, current, body, applyType, { fieldManager: manager, force }) as T;
}

function entry(object: KubeObject, manager: string): ManagedFieldsEntry | undefined {
  return object.metadata.managedFields?.find((candidate) => candidate.manager === manager);
}

const podYaml = (labels: string, image = 'nginx:1.27') => `
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  labels: {${labels}}
spec:
  containers:
  - name: nginx
    image: ${image}
    ports:
    - containerPort: 80
`;

test('apply creates an object with an Apply entry', (t) => {
  const created = apply<Pod>(undefined, podYaml('app: web'));
  t.is(created.spec.containers[0].image, 'nginx:1.27');
  const managed = entry(created, 'kubectl');
  t.like(managed, { operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1' });
  t.deepEqual(managed?.fieldsV1, {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': {
      '.': {}, 'f:image': {}, 'f:name': {},
      'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
    } } },
  });
  t.regex(managed?.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('apply accepts a JSON body', (t) => {
  const created = apply<Pod>(undefined, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'c', image: 'x' }] } }));
  t.is(created.spec.containers[0].name, 'c');
});

test('apply merges into fields other managers own', (t) => {
  const live = newPod();
  live.metadata.labels = { app: 'web', team: 'a' };
  updateManagedFields(undefined, live, 'kubectl-create');
  const applied = apply<Pod>(live, podYaml('app: web, tier: front'));
  t.deepEqual(applied.metadata.labels, { app: 'web', team: 'a', tier: 'front' });
  t.truthy(entry(applied, 'kubectl-create'), 'the creator keeps its other fields');
});

test('fields dropped from an apply are removed', (t) => {
  const first = apply<Pod>(undefined, podYaml('app: web, tier: front'));
  const second = apply<Pod>(first, podYaml('app: web'));
  t.deepEqual(second.metadata.labels, { app: 'web' });
  t.deepEqual(entry(second, 'kubectl')?.fieldsV1?.['f:metadata'], { 'f:labels': { 'f:app': {} } });
});

test('dropped fields another manager also owns stay', (t) => {
  const first = apply<Pod>(undefined, podYaml('app: web, tier: front'));
  const shared = apply<Pod>(first, podYaml('tier: front'), 'other');
  const second = apply<Pod>(shared, podYaml('app: web'));
  t.deepEqual(second.metadata.labels, { app: 'web', tier: 'front' });
});

test('changing a field another manager owns is a conflict', (t) => {
  const live = newDeployment();
  updateManagedFields(undefined, live, 'kubectl-client-side-apply');
  const body = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 5
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx:1.27}]
`;
  const error = t.throws(() => apply<Deployment>(live, body));
  if (!(error instanceof StatusError)) return t.fail('expected a StatusError');
  t.is(error.code, 409);
  t.is(error.status.reason, 'Conflict');
  t.is(error.status.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  t.deepEqual(error.status.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);

  const forced = apply<Deployment>(live, body, 'kubectl', true);
  t.is(forced.spec.replicas, 5);
  const previous = entry(forced, 'kubectl-client-side-apply')?.fieldsV1 as { 'f:spec'?: Record<string, unknown> };
  t.false('f:replicas' in (previous['f:spec'] ?? {}), 'forcing takes the field away');
  t.truthy((entry(forced, 'kubectl')?.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec']['f:replicas']);
});

test('applying the same value as another manager shares the field', (t) => {
  const live = newPod();
  updateManagedFields(undefined, live, 'creator');
  const applied = apply<Pod>(live, podYaml('app: web'));
  t.is(applied.spec.containers[0].image, 'nginx:1.27');
  t.truthy(entry(applied, 'creator'));
  t.truthy(entry(applied, 'kubectl'));
});

test('conflicts on list items name their keys', (t) => {
  const live = apply<Pod>(undefined, podYaml('app: web'), 'first');
  const error = t.throws(() => apply<Pod>(live, podYaml('app: web', 'nginx:2'), 'second'));
  t.is(error?.message, 'Apply failed with 1 conflict: conflict with "first": .spec.containers[name="nginx"].image');
});

test('apply needs apiVersion and kind of the endpoint', (t) => {
  t.is((t.throws(() => apply(undefined, 'metadata: {name: x}')) as StatusError).code, 400);
  t.is((t.throws(() => applyPatch(pods, undefined, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}', applyType, { fieldManager: 'x' })) as StatusError).code, 400);
  t.is((t.throws(() => apply(undefined, 'a: [')) as StatusError).code, 400);
  t.is((t.throws(() => apply(undefined, '- 1')) as StatusError).code, 400);
});

test('apply ignores status and managedFields in the body', (t) => {
  const created = apply<Pod>(undefined, `${podYaml('app: web')}\nstatus: {phase: Running}\n`);
  t.is(created.status, undefined);
});

test('update records changed fields for the updater', (t) => {
  const old = newPod();
  updateManagedFields(undefined, old, 'kubectl-create');
  const created = entry(old, 'kubectl-create');
  t.like(created, { operation: 'Update', apiVersion: 'v1' });
  t.deepEqual(Object.keys(created?.fieldsV1 ?? {}), ['f:metadata', 'f:spec']);

  const updated: Pod = structuredClone(old);
  updated.spec.containers[0].image = 'nginx:1.28';
  updated.metadata.labels = { app: 'web', tier: 'front' };
  updateManagedFields(old, updated, 'kubectl-edit');
  t.deepEqual(entry(updated, 'kubectl-edit')?.fieldsV1, {
    'f:metadata': { 'f:labels': { 'f:tier': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {} } } },
  });
  const creatorSpec = (entry(updated, 'kubectl-create')?.fieldsV1 as { 'f:spec': { 'f:containers': Record<string, Record<string, unknown>> } })['f:spec'];
  t.false('f:image' in creatorSpec['f:containers']['k:{"name":"nginx"}'], 'the image moved to the editor');
});

test('status updates are recorded with their subresource', (t) => {
  const old = newPod();
  updateManagedFields(undefined, old, 'kubectl-create');
  const updated: Pod = structuredClone(old);
  updated.status = { phase: 'Running' };
  updateManagedFields(old, updated, 'kubelet', 'status');
  t.like(entry(updated, 'kubelet'), { operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': { 'f:phase': {} } } });
});

test('an update that changes nothing adds no entry', (t) => {
  const old = newPod();
  updateManagedFields(undefined, old, 'kubectl-create');
  const same: Pod = structuredClone(old);
  updateManagedFields(old, same, 'kubectl-label');
  t.is(entry(same, 'kubectl-label'), undefined);
});

test('removed fields leave every manager', (t) => {
  const old = newPod();
  updateManagedFields(undefined, old, 'kubectl-create');
  const updated: Pod = structuredClone(old);
  delete updated.metadata.labels;
  updateManagedFields(old, updated, 'kubectl-label');
  const metadata = (entry(updated, 'kubectl-create')?.fieldsV1 as Record<string, unknown>)['f:metadata'];
  t.is(metadata, undefined);
});

test('creating through apply records no extra update', (t) => {
  const created = apply<Pod>(undefined, podYaml('app: web'));
  updateManagedFields(undefined, created, 'kubectl');
  t.is(created.metadata.managedFields?.length, 1);
});

test('create entry matches the general field set', async (t) => {
  const { collectFields, FieldSet, fieldsTreeOf, toFieldsV1 } = await import('../../../apiserver/patch/fieldset.js');
  const { rootNode, typeOfResource } = await import('../../../apiserver/openapi/schema/index.js');
  const root = rootNode(typeOfResource(deployments));
  const deployment = newDeployment();
  deployment.metadata.finalizers = ['a', 'b'];
  deployment.spec.template.spec.containers[0].ports = [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }];
  deployment.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox', env: [{ name: 'A', value: '1' }] });
  const set = new FieldSet();
  collectFields(deployment as never, root, [], set);
  t.deepEqual(fieldsTreeOf(deployment as never, root), toFieldsV1(set));
});

test('dropping a list item removes it and an emptied list', (t) => {
  const withPorts = apply<Pod>(undefined, podYaml('app: web'));
  const body = podYaml('app: web').replace('    ports:\n    - containerPort: 80\n', '');
  const pruned = apply<Pod>(withPorts, body);
  t.is(pruned.spec.containers[0].ports, undefined);
  t.is(pruned.spec.containers[0].image, 'nginx:1.27');
});

test('added list items go to the updater whole', (t) => {
  const old = newPod();
  updateManagedFields(undefined, old, 'kubectl-create');
  old.status = { phase: 'Pending' };
  const running: Pod = structuredClone(old);
  running.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], podIPs: [{ ip: '10.0.0.2' }] };
  updateManagedFields(old, running, 'kubelet', 'status');
  t.deepEqual(entry(running, 'kubelet')?.fieldsV1, {
    'f:status': {
      'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:status': {}, 'f:type': {} } },
      'f:phase': {},
      'f:podIPs': { 'k:{"ip":"10.0.0.2"}': { '.': {}, 'f:ip': {} } },
    },
  });
});

test('an added value takes its fields from another manager', (t) => {
  const old = newPod();
  updateManagedFields(undefined, old, 'kubectl-create');
  old.status = { phase: 'Running' };
  old.metadata.managedFields?.push({
    manager: 'probe', operation: 'Update', apiVersion: 'v1', subresource: 'status', fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:status': {} } }, 'f:message': {} } },
  });
  const updated: Pod = structuredClone(old);
  updated.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
  updateManagedFields(old, updated, 'kubelet', 'status');
  t.deepEqual(entry(updated, 'probe')?.fieldsV1, { 'f:status': { 'f:message': {} } });
  t.deepEqual(entry(updated, 'kubelet')?.fieldsV1, { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:status': {}, 'f:type': {} } } } });
});
