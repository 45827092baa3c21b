import test from 'ava';
import { deployments, leases, namespaces, pods, replicaSets } from '../../../api/resources.js';
import type { Container, KubeObject, Namespace, PodSpec } from '../../../api/types.js';
import { applyDefaults, defaultImagePullPolicy, qosClass } from '../../../apiserver/defaults.js';
import { newDeployment, newPod, newReplicaSet } from './builders.js';

test('pod spec defaults', (t) => {
  const pod = newPod();
  applyDefaults(pods, pod);
  t.is(pod.spec.restartPolicy, 'Always');
  t.is(pod.spec.dnsPolicy, 'ClusterFirst');
  t.is(pod.spec.schedulerName, 'default-scheduler');
  t.is(pod.spec.terminationGracePeriodSeconds, 30);
  t.deepEqual(pod.spec.securityContext, {});
  t.is(pod.spec.enableServiceLinks, true);
  t.is(pod.spec.priority, 0);
});

test('container defaults', (t) => {
  const pod = newPod();
  pod.spec.containers[0].ports = [{ containerPort: 80 }];
  pod.spec.containers[0].readinessProbe = { httpGet: { port: 80 } };
  applyDefaults(pods, pod);
  const [container] = pod.spec.containers;
  t.is(container.terminationMessagePath, '/dev/termination-log');
  t.is(container.terminationMessagePolicy, 'File');
  t.is(container.imagePullPolicy, 'IfNotPresent');
  t.is(container.ports?.[0].protocol, 'TCP');
  t.like(container.readinessProbe, { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, httpGet: { port: 80, scheme: 'HTTP' } });
});

test('explicit values are kept', (t) => {
  const pod = newPod();
  pod.spec.restartPolicy = 'Never';
  pod.spec.terminationGracePeriodSeconds = 0;
  pod.spec.containers[0].imagePullPolicy = 'Never';
  applyDefaults(pods, pod);
  t.is(pod.spec.restartPolicy, 'Never');
  t.is(pod.spec.terminationGracePeriodSeconds, 0);
  t.is(pod.spec.containers[0].imagePullPolicy, 'Never');
});

const pullPolicyCases: [string, Container['imagePullPolicy']][] = [
  ['nginx', 'Always'],
  ['nginx:latest', 'Always'],
  ['nginx:1.27', 'IfNotPresent'],
  ['registry.local:5000/nginx', 'Always'],
  ['registry.local:5000/nginx:1.27', 'IfNotPresent'],
  ['nginx@sha256:abcd', 'IfNotPresent'],
];

for (const [image, expected] of pullPolicyCases) {
  test(`imagePullPolicy of ${image}`, (t) => {
    t.is(defaultImagePullPolicy(image), expected);
  });
}

test('not-ready and unreachable tolerations are added once', (t) => {
  const pod = newPod();
  applyDefaults(pods, pod);
  applyDefaults(pods, pod);
  t.deepEqual(pod.spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
});

test('a toleration of everything suppresses the defaults', (t) => {
  const pod = newPod();
  pod.spec.tolerations = [{ operator: 'Exists' }];
  applyDefaults(pods, pod);
  t.deepEqual(pod.spec.tolerations, [{ operator: 'Exists' }]);
});

test('pod status starts Pending with a QoS class', (t) => {
  const pod = newPod();
  applyDefaults(pods, pod);
  t.is(pod.status?.phase, 'Pending');
  t.is(pod.status?.qosClass, 'BestEffort');
});

test('limits without requests become requests', (t) => {
  const pod = newPod();
  pod.spec.containers[0].resources = { limits: { cpu: '500m', memory: '64Mi' } };
  applyDefaults(pods, pod);
  t.deepEqual(pod.spec.containers[0].resources.requests, { cpu: '500m', memory: '64Mi' });
  t.is(pod.status?.qosClass, 'Guaranteed');
});

const qosCases: [string, PodSpec['containers'], ReturnType<typeof qosClass>][] = [
  ['no resources', [{ name: 'a', image: 'x' }], 'BestEffort'],
  ['equal requests and limits', [{ name: 'a', image: 'x', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1Gi' } } }], 'Guaranteed'],
  ['only a cpu request', [{ name: 'a', image: 'x', resources: { requests: { cpu: '100m' } } }], 'Burstable'],
  ['limits only on cpu', [{ name: 'a', image: 'x', resources: { requests: { cpu: '1' }, limits: { cpu: '1' } } }], 'Burstable'],
  ['one guaranteed and one best-effort container', [
    { name: 'a', image: 'x', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } },
    { name: 'b', image: 'x' },
  ], 'Burstable'],
  ['only other resources', [{ name: 'a', image: 'x', resources: { requests: { 'ephemeral-storage': '1Gi' } } }], 'BestEffort'],
];

for (const [name, containers, expected] of qosCases) {
  test(`QoS class: ${name}`, (t) => {
    t.is(qosClass({ containers }), expected);
  });
}

test('deployment defaults', (t) => {
  const deployment = newDeployment();
  Reflect.deleteProperty(deployment.spec, 'replicas');
  applyDefaults(deployments, deployment);
  t.is(deployment.spec.replicas, 1);
  t.deepEqual(deployment.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  t.is(deployment.spec.revisionHistoryLimit, 10);
  t.is(deployment.spec.progressDeadlineSeconds, 600);
  t.is(deployment.spec.template.spec.restartPolicy, 'Always');
  t.is(deployment.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  t.is(deployment.spec.template.spec.tolerations, undefined, 'templates get no admission tolerations');
});

test('Recreate deployments get no rollingUpdate', (t) => {
  const deployment = newDeployment();
  deployment.spec.strategy = { type: 'Recreate' };
  applyDefaults(deployments, deployment);
  t.deepEqual(deployment.spec.strategy, { type: 'Recreate' });
});

test('replicaset defaults', (t) => {
  const replicaSet = newReplicaSet();
  Reflect.deleteProperty(replicaSet.spec, 'replicas');
  applyDefaults(replicaSets, replicaSet);
  t.is(replicaSet.spec.replicas, 1);
  t.is(replicaSet.spec.template.spec.dnsPolicy, 'ClusterFirst');
});

test('namespace defaults', (t) => {
  const namespace: Namespace = { metadata: { name: 'team-a' } };
  applyDefaults(namespaces, namespace);
  t.deepEqual(namespace.spec, { finalizers: ['kubernetes'] });
  t.deepEqual(namespace.status, { phase: 'Active' });
});

test('kinds without defaults are left alone', (t) => {
  const lease: KubeObject = { metadata: { name: 'a' } };
  applyDefaults(leases, lease);
  t.deepEqual(lease, { metadata: { name: 'a' } });
});

test('malformed specs do not throw', (t) => {
  t.notThrows(() => applyDefaults(pods, { metadata: {}, spec: { containers: 'x' } } as unknown as KubeObject));
  t.notThrows(() => applyDefaults(deployments, { metadata: {}, spec: null } as unknown as KubeObject));
  t.notThrows(() => applyDefaults(pods, { metadata: {} }));
});
