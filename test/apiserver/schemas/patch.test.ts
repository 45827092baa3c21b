import test from 'ava';
import { deployments, nodes, pods } from '../../../api/resources.js';
import type { Deployment, KubeObject, Node, Pod } from '../../../api/types.js';
import { StatusError } from '../../../apiserver/errors.js';
import { applyPatch } from '../../../apiserver/patch/index.js';
import { newDeployment, newNode, newPod } from './builders.js';

const options = { fieldManager: 'test' };

function patchDeployment(deployment: Deployment, body: unknown, contentType = 'application/strategic-merge-patch+json'): Deployment {
  return applyPatch(deployments, deployment, JSON.stringify(body), contentType, options) as Deployment;
}

function statusOf(error: unknown): { code: number; reason: string | undefined } {
  if (!(error instanceof StatusError)) throw new Error(`expected a StatusError, got ${String(error)}`);
  return { code: error.code, reason: error.status.reason };
}

// ---- JSON patch ----

test('json patch add, replace and remove', (t) => {
  const patched = applyPatch(pods, newPod(), JSON.stringify([
    { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.28' },
    { op: 'remove', path: '/metadata/labels/app' },
    { op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'busybox' } },
  ]), 'application/json-patch+json', options) as Pod;
  t.deepEqual(patched.metadata.labels, { tier: 'front' });
  t.is(patched.spec.containers[0].image, 'nginx:1.28');
  t.is(patched.spec.containers[1].name, 'sidecar');
});

test('json patch move, copy and escaped pointers', (t) => {
  const pod = newPod();
  pod.metadata.annotations = { 'example.com/a~b': 'x' };
  const patched = applyPatch(pods, pod, JSON.stringify([
    { op: 'copy', from: '/metadata/annotations/example.com~1a~0b', path: '/metadata/labels/copied' },
    { op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/moved' },
  ]), 'application/json-patch+json', options);
  t.deepEqual(patched.metadata.labels, { copied: 'x', moved: 'web' });
});

test('json patch test operation guards the patch', (t) => {
  const body = (image: string) => JSON.stringify([
    { op: 'test', path: '/spec/containers/0/image', value: image },
    { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' },
  ]);
  const patched = applyPatch(pods, newPod(), body('nginx:1.27'), 'application/json-patch+json', options) as Pod;
  t.is(patched.spec.containers[0].image, 'nginx:2');
  const error = t.throws(() => applyPatch(pods, newPod(), body('nginx:0'), 'application/json-patch+json', options));
  t.deepEqual(statusOf(error), { code: 422, reason: 'Invalid' });
});

test('json patch errors', (t) => {
  const run = (body: string) => statusOf(t.throws(() => applyPatch(pods, newPod(), body, 'application/json-patch+json', options)));
  t.is(run('{not json').code, 400);
  t.is(run('{"op":"add"}').code, 400);
  t.is(run('[{"op":"frobnicate","path":"/a"}]').code, 400);
  t.is(run('[{"op":"remove","path":"/spec/nothing/here"}]').code, 422);
  t.is(run('[{"op":"replace","path":"/spec/containers/5/image","value":"x"}]').code, 422);
});

test('rollout undo body restores the template', (t) => {
  const deployment = newDeployment();
  deployment.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } };
  const patched = patchDeployment(deployment, [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '1' } },
  ], 'application/json-patch+json');
  t.deepEqual(patched.spec.template, template);
  t.deepEqual(patched.metadata.annotations, { 'deployment.kubernetes.io/revision': '1' });
});

// ---- merge patch ----

test('merge patch from kubectl label and annotate', (t) => {
  const pod = newPod();
  const labelled = applyPatch(pods, pod, '{"metadata":{"labels":{"tier":"front","app":null}}}', 'application/merge-patch+json', options);
  t.deepEqual(labelled.metadata.labels, { tier: 'front' });
  const annotated = applyPatch(pods, pod, '{"metadata":{"annotations":{"note":"hi"}}}', 'application/merge-patch+json; charset=utf-8', options);
  t.deepEqual(annotated.metadata.annotations, { note: 'hi' });
});

test('merge patch replaces lists whole', (t) => {
  const patched = applyPatch(pods, newPod(), '{"spec":{"containers":[{"name":"only","image":"busybox"}]}}', 'application/merge-patch+json', options) as Pod;
  t.deepEqual(patched.spec.containers, [{ name: 'only', image: 'busybox' }]);
});

test('merge patch from kubectl scale on the scale subresource', (t) => {
  const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 2 } } as KubeObject;
  const patched = applyPatch(deployments, scale, '{"spec":{"replicas":5}}', 'application/merge-patch+json', { ...options, subresource: 'scale' });
  t.deepEqual((patched as unknown as { spec: unknown }).spec, { replicas: 5 });
});

test('patch content type errors', (t) => {
  t.deepEqual(statusOf(t.throws(() => applyPatch(pods, newPod(), '{}', 'text/plain', options))), { code: 415, reason: 'UnsupportedMediaType' });
  t.deepEqual(statusOf(t.throws(() => applyPatch(pods, newPod(), '{oops', 'application/merge-patch+json', options))), { code: 400, reason: 'BadRequest' });
  t.is(statusOf(t.throws(() => applyPatch(pods, newPod(), '[1]', 'application/strategic-merge-patch+json', options))).code, 400);
  t.is(statusOf(t.throws(() => applyPatch(pods, newPod(), '"x"', 'application/merge-patch+json', options))).code, 400);
});

// ---- strategic merge patch, with the bodies kubectl 1.32 sends ----

function twoContainerDeployment(): Deployment {
  const deployment = newDeployment();
  deployment.spec.template.spec.containers = [
    { name: 'sidecar', image: 'busybox:1.36' },
    { name: 'nginx', image: 'nginx:1.29', env: [{ name: 'C', value: '3' }], ports: [{ containerPort: 80, protocol: 'TCP' }] },
  ];
  return deployment;
}

test('kubectl set image', (t) => {
  const body = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'nginx' }], containers: [{ image: 'nginx:1.30', name: 'nginx' }] } } } };
  const patched = patchDeployment(twoContainerDeployment(), body);
  t.deepEqual(patched.spec.template.spec.containers.map((container) => `${container.name}=${container.image}`), ['sidecar=busybox:1.36', 'nginx=nginx:1.30']);
  t.deepEqual(patched.spec.template.spec.containers[1].env, [{ name: 'C', value: '3' }], 'other container fields stay');
});

test('kubectl set env adds and deletes by name', (t) => {
  const body = { spec: { template: { spec: {
    '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'nginx' }],
    containers: [
      { env: [{ name: 'D', value: '4' }], name: 'sidecar' },
      { '$setElementOrder/env': [{ name: 'D' }], env: [{ name: 'D', value: '4' }, { $patch: 'delete', name: 'C' }], name: 'nginx' },
    ],
  } } } };
  const patched = patchDeployment(twoContainerDeployment(), body);
  t.deepEqual(patched.spec.template.spec.containers[0].env, [{ name: 'D', value: '4' }]);
  t.deepEqual(patched.spec.template.spec.containers[1].env, [{ name: 'D', value: '4' }]);
});

test('client-side apply three-way patch', (t) => {
  const deployment = newDeployment();
  deployment.metadata.labels = { app: 'web' };
  deployment.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  deployment.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }];
  deployment.spec.template.spec.containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
  const lastApplied = '{"apiVersion":"apps/v1","kind":"Deployment"}\n';
  const body = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied }, labels: null },
    spec: {
      strategy: { $retainKeys: ['type'], type: 'Recreate' },
      template: { spec: {
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'nginx' }],
        containers: [
          { image: 'busybox:1.36', name: 'sidecar' },
          { '$setElementOrder/env': [{ name: 'C' }], env: [{ name: 'C', value: '3' }, { $patch: 'delete', name: 'A' }], name: 'nginx', ports: null },
        ],
      } },
    },
  };
  const patched = patchDeployment(deployment, body);
  t.is(patched.metadata.labels, undefined);
  t.is(patched.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], lastApplied);
  t.deepEqual(patched.spec.strategy, { type: 'Recreate' }, '$retainKeys clears rollingUpdate');
  t.deepEqual(patched.spec.template.spec.containers, [
    { name: 'sidecar', image: 'busybox:1.36' },
    { name: 'nginx', image: 'nginx:1.27', env: [{ name: 'C', value: '3' }] },
  ]);
});

test('kubectl rollout restart and pause', (t) => {
  const restarted = patchDeployment(newDeployment(), { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } } } });
  t.deepEqual(restarted.spec.template.metadata, { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } });
  t.true(patchDeployment(newDeployment(), { spec: { paused: true } }).spec.paused);
});

test('kubectl cordon', (t) => {
  const patched = applyPatch(nodes, newNode(), '{"spec":{"unschedulable":true}}', 'application/strategic-merge-patch+json', options) as Node;
  t.true(patched.spec.unschedulable);
});

test('ports merge by containerPort', (t) => {
  const pod = newPod();
  const patched = applyPatch(pods, pod, JSON.stringify({ spec: { containers: [{ name: 'nginx', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] } }),
    'application/strategic-merge-patch+json', options) as Pod;
  t.deepEqual(patched.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }]);
});

test('lists without a merge strategy are replaced', (t) => {
  const pod = newPod();
  pod.spec.tolerations = [{ key: 'a', operator: 'Exists' }];
  pod.spec.containers[0].args = ['one', 'two'];
  const patched = applyPatch(pods, pod, JSON.stringify({ spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'nginx', args: ['three'] }] } }),
    'application/strategic-merge-patch+json', options) as Pod;
  t.deepEqual(patched.spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
  t.deepEqual(patched.spec.containers[0].args, ['three']);
});

test('$patch replace on a list and a map', (t) => {
  const pod = newPod();
  const replacedList = applyPatch(pods, pod, JSON.stringify({ spec: { containers: [{ name: 'only', image: 'busybox' }, { $patch: 'replace' }] } }),
    'application/strategic-merge-patch+json', options) as Pod;
  t.deepEqual(replacedList.spec.containers, [{ name: 'only', image: 'busybox' }]);
  const replacedMap = applyPatch(pods, pod, JSON.stringify({ metadata: { labels: { tier: 'x', $patch: 'replace' } } }), 'application/strategic-merge-patch+json', options);
  t.deepEqual(replacedMap.metadata.labels, { tier: 'x' });
});

test('$patch delete on a map', (t) => {
  const patched = applyPatch(pods, newPod(), JSON.stringify({ metadata: { labels: { $patch: 'delete' } } }), 'application/strategic-merge-patch+json', options);
  t.is(patched.metadata.labels, undefined);
});

test('finalizers merge as a set and $deleteFromPrimitiveList removes', (t) => {
  const pod = newPod();
  pod.metadata.finalizers = ['a', 'b'];
  const added = applyPatch(pods, pod, JSON.stringify({ metadata: { finalizers: ['b', 'c'] } }), 'application/strategic-merge-patch+json', options);
  t.deepEqual(added.metadata.finalizers, ['a', 'b', 'c']);
  const removed = applyPatch(pods, pod, JSON.stringify({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }), 'application/strategic-merge-patch+json', options);
  t.deepEqual(removed.metadata.finalizers, ['b']);
});

test('conditions merge by type', (t) => {
  const pod = newPod();
  pod.status = { conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }] };
  const patched = applyPatch(pods, pod, JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True' }] } }), 'application/strategic-merge-patch+json', options) as Pod;
  t.deepEqual(patched.status?.conditions, [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }]);
});

test('merge key missing from a list item is a bad request', (t) => {
  const error = t.throws(() => applyPatch(pods, newPod(), JSON.stringify({ spec: { containers: [{ image: 'x' }] } }), 'application/strategic-merge-patch+json', options));
  t.is(statusOf(error).code, 400);
});

test('new fields keep no directives', (t) => {
  const patched = applyPatch(pods, newPod(), JSON.stringify({ spec: { volumes: [{ name: 'data', emptyDir: {}, $retainKeys: ['name', 'emptyDir'] }] } }),
    'application/strategic-merge-patch+json', options) as Pod & { spec: { volumes?: unknown } };
  t.deepEqual(patched.spec.volumes, [{ name: 'data', emptyDir: {} }]);
});

test('patches do not change the current object', (t) => {
  const pod = newPod();
  const before = JSON.stringify(pod);
  applyPatch(pods, pod, '{"metadata":{"labels":{"x":"y"}}}', 'application/strategic-merge-patch+json', options);
  applyPatch(pods, pod, '[{"op":"add","path":"/metadata/labels/x","value":"y"}]', 'application/json-patch+json', options);
  t.is(JSON.stringify(pod), before);
});
