import test from 'ava';
import { deployments, events, leases, namespaces, nodes, pods, replicaSets } from '../../../api/resources.js';
import type { Deployment, KubeObject, Pod, StatusCause } from '../../../api/types.js';
import { applyDefaults } from '../../../apiserver/defaults.js';
import { invalid } from '../../../apiserver/errors.js';
import { findUnknownFields, validateObject } from '../../../apiserver/validation/index.js';
import { newDeployment, newNode, newPod, newReplicaSet } from './builders.js';

const subdomainMessage = 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')';
const labelMessage = 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')';

function format(causes: StatusCause[]): string[] {
  return causes.map((cause) => `${cause.field}: ${cause.message}`);
}

function podWith(edit: (pod: Pod) => void): Pod {
  const pod = newPod();
  edit(pod);
  return pod;
}

function deploymentWith(edit: (deployment: Deployment) => void): Deployment {
  const deployment = newDeployment();
  edit(deployment);
  return deployment;
}

test('valid objects of every kind pass', (t) => {
  t.deepEqual(validateObject(pods, newPod()), []);
  t.deepEqual(validateObject(deployments, newDeployment()), []);
  t.deepEqual(validateObject(replicaSets, newReplicaSet()), []);
  t.deepEqual(validateObject(nodes, newNode()), []);
  t.deepEqual(validateObject(namespaces, { metadata: { name: 'team-a' } }), []);
  t.deepEqual(validateObject(leases, { metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { leaseDurationSeconds: 40 } } as KubeObject), []);
  t.deepEqual(validateObject(events, { metadata: { name: 'web.17d3', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' } } as KubeObject), []);
});

test('defaulted objects still pass', (t) => {
  const pod = newPod();
  applyDefaults(pods, pod);
  t.deepEqual(validateObject(pods, pod), []);
  const deployment = newDeployment();
  applyDefaults(deployments, deployment);
  t.deepEqual(validateObject(deployments, deployment), []);
});

const podCases: [string, (pod: Pod) => void, string[]][] = [
  ['missing image', (pod) => { delete pod.spec.containers[0].image; }, ['spec.containers[0].image: Required value']],
  ['missing containers', (pod) => { pod.spec.containers = []; }, ['spec.containers: Required value']],
  ['missing container name', (pod) => { pod.spec.containers[0].name = ''; }, ['spec.containers[0].name: Required value']],
  ['container name not a label', (pod) => { pod.spec.containers[0].name = 'Web_1'; }, [`spec.containers[0].name: Invalid value: "Web_1": ${labelMessage}`]],
  ['duplicate container names', (pod) => { pod.spec.containers.push({ name: 'nginx', image: 'busybox' }); }, ['spec.containers[1].name: Duplicate value: "nginx"']],
  ['init and app container share a name', (pod) => { pod.spec.initContainers = [{ name: 'nginx', image: 'busybox' }]; }, ['spec.containers[0].name: Duplicate value: "nginx"']],
  ['bad restartPolicy', (pod) => { pod.spec.restartPolicy = 'Sometimes' as 'Always'; }, ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']],
  ['bad dnsPolicy', (pod) => { pod.spec.dnsPolicy = 'Google'; }, ['spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"']],
  ['bad imagePullPolicy', (pod) => { pod.spec.containers[0].imagePullPolicy = 'Sometimes' as 'Always'; }, ['spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"']],
  ['port out of range', (pod) => { pod.spec.containers[0].ports = [{ containerPort: 70000 }]; }, ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
  ['port missing', (pod) => { pod.spec.containers[0].ports = [{ containerPort: 0 }]; }, ['spec.containers[0].ports[0].containerPort: Required value']],
  ['bad protocol', (pod) => { pod.spec.containers[0].ports = [{ containerPort: 80, protocol: 'ICMP' as 'TCP' }]; }, ['spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']],
  ['bad quantity', (pod) => { pod.spec.containers[0].resources = { limits: { memory: 'lots' } }; }, ['spec.containers[0].resources.limits[memory]: Invalid value: "lots": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'']],
  ['negative quantity', (pod) => { pod.spec.containers[0].resources = { requests: { cpu: '-1' } }; }, ['spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0']],
  ['request above limit', (pod) => { pod.spec.containers[0].resources = { requests: { cpu: '2' }, limits: { cpu: '500m' } }; }, ['spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 500m']],
  ['unknown resource name', (pod) => { pod.spec.containers[0].resources = { limits: { gpus: '1' } }; }, ['spec.containers[0].resources.limits[gpus]: Invalid value: "gpus": must be a standard resource type or fully qualified']],
  ['bad env name', (pod) => { pod.spec.containers[0].env = [{ name: '1ABC', value: 'x' }]; }, ['spec.containers[0].env[0].name: Invalid value: "1ABC": a valid environment variable name must consist of alphabetic characters, digits, \'_\', \'-\', or \'.\', and must not start with a digit (e.g. \'my.env-name\',  or \'MY_ENV.NAME\',  or \'MyEnvName1\', regex used for validation is \'[-._a-zA-Z][-._a-zA-Z0-9]*\')']],
  ['mount of a missing volume', (pod) => { (pod.spec.containers[0] as { volumeMounts?: unknown }).volumeMounts = [{ name: 'data', mountPath: '/data' }]; }, ['spec.containers[0].volumeMounts[0].name: Not found: "data"']],
  ['negative grace period', (pod) => { pod.spec.terminationGracePeriodSeconds = -1; }, ['spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0']],
  ['zero active deadline', (pod) => { pod.spec.activeDeadlineSeconds = 0; }, ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive']],
  ['toleration Exists with value', (pod) => { pod.spec.tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }]; }, ['spec.tolerations[0].operator: Invalid value: "v": value must be empty when `operator` is \'Exists\'']],
  ['name with uppercase', (pod) => { pod.metadata.name = 'Web'; }, [`metadata.name: Invalid value: "Web": ${subdomainMessage}`]],
  ['name too long', (pod) => { pod.metadata.name = 'a'.repeat(254); }, [`metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`]],
  ['name missing', (pod) => { pod.metadata.name = undefined; }, ['metadata.name: Required value: name or generateName is required']],
  ['namespace missing', (pod) => { pod.metadata.namespace = undefined; }, ['metadata.namespace: Required value']],
  ['label key with two slashes', (pod) => { pod.metadata.labels = { 'a/b/c': 'x' }; }, ['metadata.labels: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\') with an optional DNS subdomain prefix and \'/\' (e.g. \'example.com/MyName\')']],
  ['label value too long', (pod) => { pod.metadata.labels = { app: 'x'.repeat(64) }; }, [`metadata.labels: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`]],
  ['annotations too large', (pod) => { pod.metadata.annotations = { big: 'x'.repeat(256 * 1024) }; }, ['metadata.annotations: Too long: may not be more than 262144 bytes']],
];

for (const [name, edit, expected] of podCases) {
  test(`pod: ${name}`, (t) => {
    t.deepEqual(format(validateObject(pods, podWith(edit))), expected);
  });
}

test('causes carry the Kubernetes reasons', (t) => {
  const reasons = (edit: (pod: Pod) => void) => validateObject(pods, podWith(edit)).map((cause) => cause.reason);
  t.deepEqual(reasons((pod) => { delete pod.spec.containers[0].image; }), ['FieldValueRequired']);
  t.deepEqual(reasons((pod) => { pod.metadata.name = 'Web'; }), ['FieldValueInvalid']);
  t.deepEqual(reasons((pod) => { pod.spec.restartPolicy = 'No' as 'Always'; }), ['FieldValueNotSupported']);
  t.deepEqual(reasons((pod) => { pod.spec.containers.push({ name: 'nginx', image: 'x' }); }), ['FieldValueDuplicate']);
  t.deepEqual(reasons((pod) => { pod.metadata.labels = { a: 'b' }; pod.spec.containers[0].restartPolicy = 'Always'; }), ['FieldValueForbidden']);
});

test('an invalid pod becomes the Status message kubectl prints', (t) => {
  const causes = validateObject(pods, podWith((pod) => { delete pod.spec.containers[0].image; }));
  t.is(invalid('Pod', undefined, 'web', causes).message, 'Pod "web" is invalid: spec.containers[0].image: Required value');
});

const deploymentCases: [string, (deployment: Deployment) => void, string[]][] = [
  ['missing selector', (deployment) => { delete (deployment.spec as { selector?: unknown }).selector; }, ['spec.selector: Required value']],
  ['selector not matching labels', (deployment) => { deployment.spec.template.metadata = { labels: { app: 'api' } }; }, ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`']],
  ['empty selector', (deployment) => { deployment.spec.selector = {}; }, ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment']],
  ['negative replicas', (deployment) => { deployment.spec.replicas = -1; }, ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
  ['surge and unavailable both zero', (deployment) => { deployment.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }; }, ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0']],
  ['unavailable above 100%', (deployment) => { deployment.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } }; }, ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%']],
  ['bad strategy type', (deployment) => { deployment.spec.strategy = { type: 'BlueGreen' as 'Recreate' }; }, ['spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"']],
  ['Recreate with rollingUpdate', (deployment) => { deployment.spec.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }; }, ['spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is \'Recreate\'']],
  ['template restartPolicy Never', (deployment) => { deployment.spec.template.spec.restartPolicy = 'Never'; }, ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']],
  ['template container without image', (deployment) => { delete deployment.spec.template.spec.containers[0].image; }, ['spec.template.spec.containers[0].image: Required value']],
  ['progress deadline not above minReadySeconds', (deployment) => { deployment.spec.minReadySeconds = 10; deployment.spec.progressDeadlineSeconds = 10; }, ['spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds']],
];

for (const [name, edit, expected] of deploymentCases) {
  test(`deployment: ${name}`, (t) => {
    t.deepEqual(format(validateObject(deployments, deploymentWith(edit))), expected);
  });
}

test('replicaset selector must match its template', (t) => {
  const replicaSet = newReplicaSet();
  replicaSet.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] };
  t.deepEqual(format(validateObject(replicaSets, replicaSet)), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']);
});

test('namespace names are DNS-1123 labels', (t) => {
  t.deepEqual(format(validateObject(namespaces, { metadata: { name: 'a.b' } })), [`metadata.name: Invalid value: "a.b": ${labelMessage}`]);
  t.deepEqual(format(validateObject(namespaces, { metadata: { name: 'x'.repeat(64) } })), [`metadata.name: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`]);
});

test('cluster-scoped objects reject a namespace', (t) => {
  const node = newNode();
  node.metadata.namespace = 'default';
  t.deepEqual(format(validateObject(nodes, node)), ['metadata.namespace: Forbidden: not allowed on this type']);
});

test('node taints need a valid effect', (t) => {
  const node = newNode();
  node.spec.taints = [{ key: 'dedicated', effect: 'Sometimes' as 'NoSchedule' }];
  t.deepEqual(format(validateObject(nodes, node)), ['spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']);
});

test('lease duration must be positive', (t) => {
  const lease = { metadata: { name: 'n', namespace: 'kube-node-lease' }, spec: { leaseDurationSeconds: 0 } } as KubeObject;
  t.deepEqual(format(validateObject(leases, lease)), ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
});

test('pod update may change images', (t) => {
  const old = newPod();
  const updated = podWith((pod) => { pod.spec.containers[0].image = 'nginx:1.28'; });
  t.deepEqual(validateObject(pods, updated, old), []);
});

test('pod update may add tolerations and shorten the deadline', (t) => {
  const old = podWith((pod) => { pod.spec.activeDeadlineSeconds = 100; });
  const updated = podWith((pod) => {
    pod.spec.activeDeadlineSeconds = 50;
    pod.spec.tolerations = [{ key: 'k', operator: 'Exists' }];
  });
  t.deepEqual(validateObject(pods, updated, old), []);
});

test('pod update may not change other spec fields', (t) => {
  const updated = podWith((pod) => { pod.spec.containers[0].command = ['sleep']; });
  const causes = validateObject(pods, updated, newPod());
  t.is(causes.length, 1);
  t.is(causes[0].field, 'spec');
  t.is(causes[0].reason, 'FieldValueForbidden');
  t.true(causes[0].message?.startsWith('Forbidden: pod updates may not change fields other than `spec.containers[*].image`'));
});

test('pod update may not lengthen the deadline or drop tolerations', (t) => {
  const old = podWith((pod) => {
    pod.spec.activeDeadlineSeconds = 100;
    pod.spec.tolerations = [{ key: 'k', operator: 'Exists' }];
  });
  const updated = podWith((pod) => { pod.spec.activeDeadlineSeconds = 200; });
  t.deepEqual(format(validateObject(pods, updated, old)), [
    'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
    'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
  ]);
});

test('deployment selector is immutable', (t) => {
  const updated = deploymentWith((deployment) => {
    deployment.spec.selector = { matchLabels: { app: 'web', tier: 'front' } };
    deployment.spec.template.metadata = { labels: { app: 'web', tier: 'front' } };
  });
  t.deepEqual(format(validateObject(deployments, updated, newDeployment())), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"front"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});

test('metadata name, namespace and uid are immutable', (t) => {
  const old = newPod();
  old.metadata.uid = 'a';
  const updated = newPod();
  updated.metadata.uid = 'b';
  updated.metadata.namespace = 'other';
  t.deepEqual(format(validateObject(pods, updated, old)), [
    'metadata.namespace: Invalid value: "other": field is immutable',
    'metadata.uid: Invalid value: "b": field is immutable',
  ]);
});

test('unknown fields are found with their paths', (t) => {
  const pod = newPod() as unknown as Record<string, unknown>;
  const spec = pod.spec as { containers: Record<string, unknown>[] } & Record<string, unknown>;
  spec.containers[0].foo = 1;
  spec.bar = true;
  (pod.metadata as Record<string, unknown>).colour = 'blue';
  spec.containers[0].resources = { limits: { cpu: '1' }, extra: {} };
  t.deepEqual(findUnknownFields(pods, pod).sort(), ['metadata.colour', 'spec.bar', 'spec.containers[0].foo', 'spec.containers[0].resources.extra']);
});

test('unknown fields skip free-form objects and maps', (t) => {
  const pod = newPod();
  pod.metadata.labels = { anything: 'goes' };
  (pod.spec.containers[0].env ??= []).push({ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  t.deepEqual(findUnknownFields(pods, pod), []);
  const deployment = newDeployment() as unknown as { spec: { template: { spec: Record<string, unknown> } } };
  deployment.spec.template.spec.nodeSelectr = {};
  t.deepEqual(findUnknownFields(deployments, deployment), ['spec.template.spec.nodeSelectr']);
});

test('template without labels misses the selector', (t) => {
  const deployment = newDeployment();
  deployment.spec.template.metadata = {};
  t.deepEqual(format(validateObject(deployments, deployment)), ['spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`']);
});

test('owner references need every identifying field', (t) => {
  const pod = newPod();
  pod.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: '' }];
  t.deepEqual(format(validateObject(pods, pod)), ['metadata.ownerReferences.uid: Invalid value: "": uid must not be empty']);
});

test('finalizers need a domain unless standard', (t) => {
  const pod = newPod();
  pod.metadata.finalizers = ['foregroundDeletion', 'example.com/cleanup', 'cleanup'];
  t.deepEqual(format(validateObject(pods, pod)), ['metadata.finalizers: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified']);
});

test('fields of the wrong JSON type are reported first', (t) => {
  const pod = newPod() as unknown as { metadata: Record<string, unknown>; spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
  pod.spec.containers[0].ports = 'http';
  pod.spec.terminationGracePeriodSeconds = '30';
  pod.spec.containers[0].resources = { limits: { cpu: true } };
  pod.metadata.name = 'Bad_Name';
  t.deepEqual(format(validateObject(pods, pod as unknown as KubeObject)), [
    'spec.containers[0].ports: Invalid value: "string": must be of type array',
    'spec.containers[0].resources.limits[cpu]: Invalid value: "boolean": must be of type string',
    'spec.terminationGracePeriodSeconds: Invalid value: "string": must be of type integer',
  ]);
  t.true(validateObject(pods, pod as unknown as KubeObject).every((cause) => cause.reason === 'FieldValueTypeInvalid'));
});

test('null fields and free-form objects pass the type check', (t) => {
  const pod = newPod() as unknown as { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
  pod.spec.nodeSelector = null;
  pod.spec.containers[0].env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }];
  pod.spec.containers[0].resources = { limits: { cpu: 1, memory: '1Gi' } };
  const deployment = newDeployment() as unknown as { spec: Record<string, unknown> };
  deployment.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '10%' } };
  t.deepEqual(validateObject(pods, pod as unknown as KubeObject), []);
  t.deepEqual(validateObject(deployments, deployment as unknown as KubeObject), []);
});
