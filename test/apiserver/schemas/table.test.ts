import test from 'ava';
import { deployments, events, leases, namespaces, nodes, pods, replicaSets } from '../../../api/resources.js';
import type { ContainerStatus, Event, KubeObject, Lease, Namespace, Pod } from '../../../api/types.js';
import { convertToTable, humanDuration, summarizePod } from '../../../apiserver/table/index.js';
import { newDeployment, newNode, newPod, newReplicaSet } from './builders.js';

const now = new Date('2026-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

const durationCases: [number, string][] = [
  [0, '0s'], [5, '5s'], [119, '119s'], [120, '2m'], [200, '3m20s'], [600, '10m'], [179 * 60, '179m'], [3 * 3600, '3h'],
  [5 * 3600 + 30 * 60, '5h30m'], [30 * 3600, '30h'], [51 * 3600, '2d3h'], [3 * 86400, '3d'], [90 * 86400, '90d'],
  [(3 * 365 + 12) * 86400, '3y12d'], [10 * 365 * 86400, '10y'],
];

for (const [seconds, expected] of durationCases) {
  test(`human duration of ${seconds}s`, (t) => {
    t.is(humanDuration(seconds * 1000), expected);
  });
}

test('human duration of a future time', (t) => {
  t.is(humanDuration(-500), '0s');
  t.is(humanDuration(-5000), '<invalid>');
});

function running(name: string, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: { startedAt: ago(60) } }, ...extra };
}

function podWithStatus(status: Pod['status'], edit: (pod: Pod) => void = () => {}): Pod {
  const pod = newPod();
  pod.status = status;
  edit(pod);
  return pod;
}

const statusCases: [string, Pod, string, string][] = [
  ['pending', podWithStatus({ phase: 'Pending' }), 'Pending', '0/1'],
  ['creating', podWithStatus({ phase: 'Pending', containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }] }), 'ContainerCreating', '0/1'],
  ['running', podWithStatus({ phase: 'Running', containerStatuses: [running('nginx')] }), 'Running', '1/1'],
  ['running but not ready', podWithStatus({ phase: 'Running', containerStatuses: [running('nginx', { ready: false })] }), 'Running', '0/1'],
  ['completed', podWithStatus({ phase: 'Succeeded', containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), 'Completed', '0/1'],
  ['error', podWithStatus({ phase: 'Failed', containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }), 'Error', '0/1'],
  ['exit code without reason', podWithStatus({ phase: 'Failed', containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 3 } } }] }), 'ExitCode:3', '0/1'],
  ['signal without reason', podWithStatus({ phase: 'Failed', containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 137, signal: 9 } } }] }), 'Signal:9', '0/1'],
  ['OOM killed', podWithStatus({ phase: 'Running', containerStatuses: [{ name: 'nginx', ready: false, restartCount: 1, image: 'x', imageID: '', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }), 'OOMKilled', '0/1'],
  ['crash loop', podWithStatus({ phase: 'Running', containerStatuses: [{ name: 'nginx', ready: false, restartCount: 4, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), 'CrashLoopBackOff', '0/1'],
  ['image pull back-off', podWithStatus({ phase: 'Pending', containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ImagePullBackOff' } } }] }), 'ImagePullBackOff', '0/1'],
  ['image never pulled', podWithStatus({ phase: 'Pending', containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ErrImageNeverPull' } } }] }), 'ErrImageNeverPull', '0/1'],
  ['terminating', podWithStatus({ phase: 'Running', containerStatuses: [running('nginx')] }, (pod) => { pod.metadata.deletionTimestamp = ago(1); }), 'Terminating', '1/1'],
  ['node lost', podWithStatus({ phase: 'Running', reason: 'NodeLost' }, (pod) => { pod.metadata.deletionTimestamp = ago(1); }), 'Unknown', '0/1'],
  ['evicted', podWithStatus({ phase: 'Failed', reason: 'Evicted' }), 'Evicted', '0/1'],
  ['init container waiting', podWithStatus({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'PodInitializing' } } }] }, (pod) => { pod.spec.initContainers = [{ name: 'init', image: 'x' }]; }), 'Init:0/1', '0/1'],
  ['init container running', podWithStatus({ phase: 'Pending', initContainerStatuses: [
    { name: 'a', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    { name: 'b', ready: false, restartCount: 0, image: 'x', imageID: '', state: { running: {} } },
  ] }, (pod) => { pod.spec.initContainers = [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }]; }), 'Init:1/2', '0/1'],
  ['init container failed', podWithStatus({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 2, image: 'x', imageID: '', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, (pod) => { pod.spec.initContainers = [{ name: 'init', image: 'x' }]; }), 'Init:Error', '0/1'],
  ['init container crash loop', podWithStatus({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 2, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, (pod) => { pod.spec.initContainers = [{ name: 'init', image: 'x' }]; }), 'Init:CrashLoopBackOff', '0/1'],
  ['one completed, one running', podWithStatus({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [
    running('a'), { name: 'b', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
  ] }, (pod) => { pod.spec.containers.push({ name: 'b', image: 'x' }); }), 'NotReady', '1/2'],
];

for (const [name, pod, status, ready] of statusCases) {
  test(`pod STATUS: ${name}`, (t) => {
    const summary = summarizePod(pod, now);
    t.is(summary.status, status);
    t.is(summary.ready, ready);
  });
}

test('pod RESTARTS shows when the last restart was', (t) => {
  const pod = podWithStatus({ phase: 'Running', containerStatuses: [running('nginx', { restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(5) } } })] });
  t.is(summarizePod(pod, now).restarts, '2 (5s ago)');
  const noTime = podWithStatus({ phase: 'Running', containerStatuses: [running('nginx', { restartCount: 3 })] });
  t.is(summarizePod(noTime, now).restarts, '3');
});

test('pod table columns and wide cells', (t) => {
  const pod = podWithStatus({ phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }], containerStatuses: [running('nginx')] }, (p) => {
    p.metadata.creationTimestamp = ago(200);
    p.spec.nodeName = 'node-1';
  });
  const table = convertToTable(pods, [pod], { now });
  t.deepEqual(table.columnDefinitions.map((column) => [column.name, column.priority]), [
    ['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0], ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1],
  ]);
  t.is(table.columnDefinitions[0].format, 'name');
  t.deepEqual(table.rows[0].cells, ['web', '1/1', 'Running', '0', '3m20s', '10.0.0.5', 'node-1', '<none>', '<none>']);
});

test('finished pods carry the Completed row condition', (t) => {
  const table = convertToTable(pods, [podWithStatus({ phase: 'Succeeded' })], { now });
  t.deepEqual(table.rows[0].conditions, [{ type: 'Completed', status: 'True' }]);
});

test('includeObject picks what each row carries', (t) => {
  const pod = newPod();
  t.deepEqual(convertToTable(pods, [pod], { now }).rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  t.is(convertToTable(pods, [pod], { now, includeObject: 'None' }).rows[0].object, undefined);
  t.is(convertToTable(pods, [pod], { now, includeObject: 'Object' }).rows[0].object, pod);
});

test('noHeaders leaves out the column definitions', (t) => {
  const table = convertToTable(pods, [newPod()], { now, noHeaders: true, listMeta: { resourceVersion: '7' } });
  t.deepEqual(table.columnDefinitions, []);
  t.deepEqual(table.metadata, { resourceVersion: '7' });
});

test('deployment table', (t) => {
  const deployment = newDeployment();
  deployment.metadata.creationTimestamp = ago(3600 * 51);
  deployment.status = { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 };
  const table = convertToTable(deployments, [deployment], { now });
  t.deepEqual(table.columnDefinitions.map((column) => `${column.name}:${column.type}:${column.priority}`), [
    'Name:string:0', 'Ready:string:0', 'Up-to-date:integer:0', 'Available:integer:0', 'Age:string:0', 'Containers:string:1', 'Images:string:1', 'Selector:string:1',
  ]);
  t.deepEqual(table.rows[0].cells, ['web', '1/2', 2, 1, '2d3h', 'nginx', 'nginx:1.27', 'app=web']);
});

test('replicaset table', (t) => {
  const replicaSet = newReplicaSet();
  replicaSet.status = { replicas: 2, readyReplicas: 1 };
  const table = convertToTable(replicaSets, [replicaSet], { now });
  t.deepEqual(table.columnDefinitions.map((column) => column.name), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
  t.deepEqual(table.rows[0].cells, ['web-1', 2, 2, 1, '<unknown>', 'nginx', 'nginx:1.27', 'app=web']);
});

test('node table shows roles, cordoning and addresses', (t) => {
  const node = newNode();
  node.metadata.labels = { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' };
  node.spec.unschedulable = true;
  node.status = {
    conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
    addresses: [{ type: 'Hostname', address: 'node-1' }, { type: 'InternalIP', address: '10.0.0.2' }],
    nodeInfo: { machineID: '', systemUUID: '', bootID: '', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12', containerRuntimeVersion: 'tinykube://0.1.0',
      kubeletVersion: 'v1.32.0', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' },
  };
  const table = convertToTable(nodes, [node], { now });
  t.deepEqual(table.columnDefinitions.map((column) => column.name), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
  t.deepEqual(table.rows[0].cells, ['node-1', 'Ready,SchedulingDisabled', 'control-plane,worker', '<unknown>', 'v1.32.0', '10.0.0.2', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'tinykube://0.1.0']);
});

test('node status without a Ready condition is Unknown', (t) => {
  t.is(convertToTable(nodes, [newNode()], { now }).rows[0].cells[1], 'Unknown');
  const notReady = newNode();
  notReady.status = { conditions: [{ type: 'Ready', status: 'Unknown' }] };
  t.is(convertToTable(nodes, [notReady], { now }).rows[0].cells[1], 'NotReady');
});

test('namespace table', (t) => {
  const namespace: Namespace = { metadata: { name: 'team-a', creationTimestamp: ago(5) }, status: { phase: 'Terminating' } };
  t.deepEqual(convertToTable(namespaces, [namespace], { now }).rows[0].cells, ['team-a', 'Terminating', '5s']);
});

test('event table', (t) => {
  const event: Event = {
    metadata: { name: 'web.1', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{nginx}' },
    reason: 'Pulled', message: ' Image pulled \n', type: 'Normal', count: 3,
    firstTimestamp: ago(600), lastTimestamp: ago(30), source: { component: 'kubelet', host: 'node-1' },
  };
  const table = convertToTable(events, [event], { now });
  t.deepEqual(table.columnDefinitions.map((column) => `${column.name}:${column.priority}`), [
    'Last Seen:0', 'Type:0', 'Reason:0', 'Object:0', 'Subobject:1', 'Source:1', 'Message:0', 'First Seen:1', 'Count:1', 'Name:1',
  ]);
  t.deepEqual(table.rows[0].cells, ['30s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{nginx}', 'kubelet, node-1', 'Image pulled', '10m', 3, 'web.1']);
});

test('event without timestamps or count', (t) => {
  const event = { metadata: { name: 'e' }, involvedObject: { kind: 'Node' }, eventTime: ago(2), reportingComponent: 'scheduler' } as Event;
  t.deepEqual(convertToTable(events, [event], { now }).rows[0].cells, ['2s', '', '', 'node', '', 'scheduler', '', '2s', 1, 'e']);
});

test('lease table', (t) => {
  const lease: Lease = { metadata: { name: 'node-1', creationTimestamp: ago(65) }, spec: { holderIdentity: 'node-1' } };
  const table = convertToTable(leases, [lease], { now });
  t.deepEqual(table.columnDefinitions.map((column) => column.name), ['Name', 'Holder', 'Age']);
  t.deepEqual(table.rows[0].cells, ['node-1', 'node-1', '65s']);
});

test('objects missing fields still print', (t) => {
  const bare: KubeObject = { metadata: { name: 'x' } };
  for (const type of [pods, deployments, replicaSets, nodes, namespaces, events, leases]) {
    t.notThrows(() => convertToTable(type, [bare], { now }), type.plural);
  }
});
