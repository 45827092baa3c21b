// Protobuf request bodies, as client-go's typed clients send them: each kind
// decodes to the object the same request in JSON would store.

import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { deployments, pods } from '../../api/resources.js';
import type { KubeObject, Pod } from '../../api/types.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';
import { envelope, mapEntry, type Field } from './protobuf-encoding.js';

let server: TestApiserver;
test.before(async () => {
  server = await startTestApiserver();
});
test.after.always(async () => {
  await server?.close();
});

interface Reply {
  code: number;
  body: Record<string, unknown>;
}

async function post(path: string, body: Buffer | string, contentType: string): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': contentType, accept: 'application/json' } });
  return { code: response.status, body: await response.json() as Record<string, unknown> };
}

function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/kubectl', [`--kubeconfig=${server.kubeconfigPath}`, `--cache-dir=${join(server.dataDir, 'kubectl-cache')}`, ...args],
      { timeout: 60_000 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

/** Strips the fields the server sets per write, so two creates compare equal. */
function comparable(object: KubeObject, name: string): unknown {
  const copy = structuredClone(object) as KubeObject & { status?: unknown };
  const { uid: _uid, resourceVersion: _resourceVersion, creationTimestamp: _created, managedFields, ...metadata } = copy.metadata;
  return {
    ...copy,
    metadata: { ...metadata, name },
    managedFields: managedFields?.map(({ time: _time, ...entry }) => entry),
  };
}

const metadata = (name: string): Field[] => [[1, name], [3, 'default'], [11, mapEntry('app', 'web')], [12, mapEntry('note', 'x')]];

// A pod with the nested types of PodSpec: ports, env, resources, probes, volumes, tolerations and a security context.
const podSpec: Field[] = [
  [1, [[1, 'data'], [2, [[2, [[1, 'Memory'], [2, [[1, '64Mi']]]]]]]]],
  [2, [
    [1, 'main'], [2, 'busybox:1.36'], [3, 'sh'], [3, '-c'], [4, 'sleep 3600'],
    [6, [[1, 'http'], [3, 8080], [4, 'TCP']]],
    [7, [[1, 'MODE'], [2, 'test']]],
    [7, [[1, 'POD_NAME'], [3, [[1, [[1, 'v1'], [2, 'metadata.name']]]]]]],
    [8, [[1, mapEntry('cpu', [[1, '500m']])], [2, mapEntry('memory', [[1, '128Mi']])]]],
    [9, [[1, 'data'], [3, '/data']]],
    [11, [[1, [[2, [[1, '/ready'], [2, [[1, 1], [3, 'http']]]]]]], [3, 2], [4, 5]]],
    [10, [[1, [[1, [[1, 'true']]]]], [2, 3]]],
    [14, 'IfNotPresent'],
    [15, [[5, true], [4, 1000], [1, [[2, 'ALL']]]]],
  ]],
  [3, 'Never'], [4, 5], [7, mapEntry('disk', 'ssd')],
  [22, [[1, 'dedicated'], [2, 'Equal'], [3, 'gpu'], [4, 'NoSchedule']]],
  [22, [[1, 'node.kubernetes.io/unreachable'], [2, 'Exists'], [4, 'NoExecute'], [5, 0]]],
];

const podJson = (name: string): object => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'web' }, annotations: { note: 'x' } },
  spec: {
    volumes: [{ name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }],
    containers: [{
      name: 'main', image: 'busybox:1.36', command: ['sh', '-c'], args: ['sleep 3600'],
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      env: [{ name: 'MODE', value: 'test' }, { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
      resources: { limits: { cpu: '500m' }, requests: { memory: '128Mi' } },
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      readinessProbe: { httpGet: { path: '/ready', port: 'http' }, timeoutSeconds: 2, periodSeconds: 5 },
      livenessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 3 },
      imagePullPolicy: 'IfNotPresent',
      securityContext: { runAsNonRoot: true, runAsUser: 1000, capabilities: { drop: ['ALL'] } },
    }],
    restartPolicy: 'Never', terminationGracePeriodSeconds: 5, nodeSelector: { disk: 'ssd' },
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 },
    ],
  },
});

test('pod decodes as its JSON form would', async (t) => {
  const fromProtobuf = await post('/api/v1/namespaces/default/pods', envelope('v1', 'Pod', [[1, metadata('proto-pod')], [2, podSpec]]), 'application/vnd.kubernetes.protobuf');
  t.is(fromProtobuf.code, 201, JSON.stringify(fromProtobuf.body));
  const fromJson = await post('/api/v1/namespaces/default/pods', JSON.stringify(podJson('json-pod')), 'application/json');
  t.is(fromJson.code, 201, JSON.stringify(fromJson.body));
  t.deepEqual(comparable(fromProtobuf.body as unknown as KubeObject, 'pod'), comparable(fromJson.body as unknown as KubeObject, 'pod'));
  // A pointer field keeps its zero value: tolerationSeconds 0 is "evict at once", not "unset".
  const stored = await server.client.get<Pod>(pods, 'default', 'proto-pod');
  t.is(stored.spec.tolerations?.find((toleration) => toleration.key === 'node.kubernetes.io/unreachable')?.tolerationSeconds, 0);
  t.is(stored.spec.containers[0].readinessProbe?.httpGet?.port, 'http');
});

test('lease decodes MicroTime and pointer fields', async (t) => {
  const lease: Field[] = [[1, [[1, 'holder'], [3, 'kube-node-lease']]], [2, [[1, 'node-a'], [2, 40], [4, [[1, 1_700_000_000], [2, 123_456_000]]], [5, 0]]]];
  const reply = await post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', envelope('coordination.k8s.io/v1', 'Lease', lease), 'application/vnd.kubernetes.protobuf');
  t.is(reply.code, 201, JSON.stringify(reply.body));
  t.deepEqual(reply.body.spec, { holderIdentity: 'node-a', leaseDurationSeconds: 40, renewTime: '2023-11-14T22:13:20.123456Z', leaseTransitions: 0 });
});

test('node, event, binding and eviction decode', async (t) => {
  const node: Field[] = [[1, [[1, 'node-a'], [11, mapEntry('kubernetes.io/hostname', 'node-a')]]],
    [2, [[4, true], [5, [[1, 'maintenance'], [3, 'NoSchedule']]]]]];
  const created = await post('/api/v1/nodes', envelope('v1', 'Node', node), 'application/vnd.kubernetes.protobuf');
  t.is(created.code, 201, JSON.stringify(created.body));
  t.deepEqual(created.body.spec, { unschedulable: true, taints: [{ key: 'maintenance', effect: 'NoSchedule' }] });

  const event: Field[] = [[1, [[1, 'web.1'], [3, 'default']]], [2, [[1, 'Pod'], [2, 'default'], [3, 'web'], [5, 'v1']]],
    [3, 'Scheduled'], [4, 'assigned'], [5, [[1, 'scheduler']]], [6, [[1, 1_700_000_000]]], [8, 1], [9, 'Normal']];
  const recorded = await post('/api/v1/namespaces/default/events', envelope('v1', 'Event', event), 'application/vnd.kubernetes.protobuf');
  t.is(recorded.code, 201, JSON.stringify(recorded.body));
  t.like(recorded.body, { involvedObject: { kind: 'Pod', name: 'web' }, reason: 'Scheduled', firstTimestamp: '2023-11-14T22:13:20Z', count: 1 });

  await server.client.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bindme', namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
  const binding = envelope('v1', 'Binding', [[1, [[1, 'bindme']]], [2, [[1, 'Node'], [3, 'node-a']]]]);
  t.is((await post('/api/v1/namespaces/default/pods/bindme/binding', binding, 'application/vnd.kubernetes.protobuf')).code, 201);
  t.is((await server.client.get<Pod>(pods, 'default', 'bindme')).spec.nodeName, 'node-a');

  const eviction = envelope('policy/v1', 'Eviction', [[1, [[1, 'bindme']]], [2, [[1, 0]]]]);
  t.is((await post('/api/v1/namespaces/default/pods/bindme/eviction', eviction, 'application/vnd.kubernetes.protobuf')).code, 201);
  await t.throwsAsync(server.client.get<Pod>(pods, 'default', 'bindme'));
});

test('unknown non-zero field is 415', async (t) => {
  const reply = await post('/api/v1/namespaces', envelope('v1', 'Namespace', [[1, [[1, 'odd'], [99, 'x']]]]), 'application/vnd.kubernetes.protobuf');
  t.is(reply.code, 415);
  t.is(reply.body.reason, 'UnsupportedMediaType');
  t.regex(String(reply.body.message), /field 99 of ObjectMeta/);
});

test('kubectl create deployment matches its JSON form', async (t) => {
  const flags = ['--image=nginx:1.25', '--replicas=2', '--port=80'];
  const command = ['--', 'nginx', '-g', 'daemon off;'];
  // The server-side dry run goes first, while the name is free, and stores nothing.
  const dry = await kubectl('create', 'deployment', 'same', ...flags, '--dry-run=server', '-o', 'json', ...command);
  t.is(dry.code, 0, dry.stderr);
  t.not((await kubectl('get', 'deployment', 'same')).code, 0);

  const typed = await kubectl('create', 'deployment', 'same', ...flags, ...command);
  t.is(typed.code, 0, typed.stderr);
  const rendered = await kubectl('create', 'deployment', 'same', ...flags, '--dry-run=client', '-o', 'json', ...command);
  t.is(rendered.code, 0, rendered.stderr);
  const fromJson = JSON.parse(rendered.stdout) as KubeObject;
  fromJson.metadata.name = 'same-json';
  const created = await post('/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create', JSON.stringify(fromJson), 'application/json');
  t.is(created.code, 201, JSON.stringify(created.body));
  const stored = await server.client.get<KubeObject>(deployments, 'default', 'same');
  t.deepEqual(comparable(stored, 'same'), comparable(created.body as unknown as KubeObject, 'same'));
  // kubectl prints through Go types, which drop the zero minReadySeconds, so the printed spec is a subset.
  t.like((created.body as { spec: Record<string, unknown> }).spec, (JSON.parse(dry.stdout) as { spec: Record<string, unknown> }).spec);
});

test('kubectl run and create namespace', async (t) => {
  const namespace = await kubectl('create', 'namespace', 'typed');
  t.is(namespace.code, 0, namespace.stderr);
  const run = await kubectl('run', 'runner', '--image=busybox', '--restart=Never', '--image-pull-policy=Never', '-n', 'typed');
  t.is(run.code, 0, run.stderr);
  const pod = await server.client.get<Pod>(pods, 'typed', 'runner');
  t.is(pod.spec.containers[0].imagePullPolicy, 'Never');
  t.is(pod.spec.restartPolicy, 'Never');
});
