// The real kubectl 1.32 against a real apiserver: every command users run
// on day one, with the output they expect.

import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deployments, pods } from '../../api/resources.js';
import type { Deployment, KubeObject, Pod } from '../../api/types.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';

const run = promisify(execFile);
let server: TestApiserver;

test.before(async () => {
  server = await startTestApiserver();
});
test.after.always(async () => {
  await server?.close();
});

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', server.kubeconfigPath, ...args], { timeout: 30_000 });
  return stdout;
}

/** Runs kubectl expecting failure; returns its stderr. */
async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await run('/usr/bin/kubectl', ['--kubeconfig', server.kubeconfigPath, ...args], { timeout: 30_000 });
  } catch (error) {
    return (error as { stderr?: string }).stderr ?? '';
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded but was expected to fail`);
}

async function manifest(name: string, text: string): Promise<string> {
  const path = join(server.dataDir, `${name}.yaml`);
  await writeFile(path, text);
  return path;
}

function deploymentYaml(name: string, replicas = 2, image = 'nginx:1.25'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: ${image}
        env:
        - {name: MODE, value: one}
`;
}

function podYaml(name: string, labels = 'app: kubectl', nodeName?: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {${labels}}
spec:
  ${nodeName ? `nodeName: ${nodeName}\n  ` : ''}containers:
  - name: main
    image: busybox
`;
}

test('apply creates, leaves unchanged and configures', async (t) => {
  const path = await manifest('apply', deploymentYaml('applied'));
  t.regex(await kubectl('apply', '-f', path), /deployment.apps\/applied created/);
  t.regex(await kubectl('apply', '-f', path), /deployment.apps\/applied unchanged/);
  await writeFile(path, deploymentYaml('applied', 3));
  t.regex(await kubectl('apply', '-f', path), /deployment.apps\/applied configured/);
  const deployment = await server.client.get<Deployment>(deployments, 'default', 'applied');
  t.is(deployment.spec.replicas, 3);
  t.is(deployment.metadata.generation, 2);
  t.truthy(deployment.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
});

test('apply --server-side creates and updates', async (t) => {
  const path = await manifest('ssa', deploymentYaml('serverside'));
  t.regex(await kubectl('apply', '--server-side', '-f', path), /deployment.apps\/serverside serverside-applied/);
  await writeFile(path, deploymentYaml('serverside', 4));
  t.regex(await kubectl('apply', '--server-side', '-f', path), /serverside-applied/);
  const deployment = await server.client.get<Deployment>(deployments, 'default', 'serverside');
  t.is(deployment.spec.replicas, 4);
  t.true(deployment.metadata.managedFields?.some((entry) => entry.manager === 'kubectl' && entry.operation === 'Apply'));
});

test('get prints tables, wide, json, yaml and names', async (t) => {
  await kubectl('apply', '-f', await manifest('getpod', podYaml('getter', 'app: getter', 'node-x')));
  const table = await kubectl('get', 'pods', 'getter');
  t.regex(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
  t.regex(table, /getter\s+0\/1\s+Pending/);
  t.regex(await kubectl('get', 'pods', 'getter', '-o', 'wide'), /NODE[\s\S]*node-x/);
  const json = JSON.parse(await kubectl('get', 'pod', 'getter', '-o', 'json')) as Pod;
  t.is(json.metadata.name, 'getter');
  t.regex(await kubectl('get', 'pod', 'getter', '-o', 'yaml'), /^apiVersion: v1\nkind: Pod\n/);
  t.is((await kubectl('get', 'pod', 'getter', '-o', 'name')).trim(), 'pod/getter');
  t.regex(await kubectl('get', 'namespaces'), /kube-system\s+Active/);
});

test('get filters with -l and --field-selector', async (t) => {
  await kubectl('apply', '-f', await manifest('sel-a', podYaml('sel-a', 'tier: front', 'node-a')));
  await kubectl('apply', '-f', await manifest('sel-b', podYaml('sel-b', 'tier: back', 'node-b')));
  t.is((await kubectl('get', 'pods', '-l', 'tier=front', '-o', 'name')).trim(), 'pod/sel-a');
  t.is((await kubectl('get', 'pods', '--field-selector', 'spec.nodeName=node-b', '-o', 'name')).trim(), 'pod/sel-b');
  t.regex(await kubectlFails('get', 'pods', '--field-selector', 'spec.bogus=x'), /field label not supported/);
});

test('get -w prints changes as they happen', async (t) => {
  const watcher = spawn('/usr/bin/kubectl', ['--kubeconfig', server.kubeconfigPath, 'get', 'pods', '-l', 'watched=yes', '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    watcher.kill('SIGKILL');
  });
  let output = '';
  watcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  // The watch starts after kubectl's first list; keep creating until an event shows.
  await kubectl('apply', '-f', await manifest('watched', podYaml('watched-pod', 'watched: "yes"')));
  while (!/ADDED\s+watched-pod/.test(output) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
  t.regex(output, /ADDED\s+watched-pod/);
  await kubectl('delete', 'pod', 'watched-pod', '--wait=false');
  while (!/DELETED\s+watched-pod/.test(output) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
  t.regex(output, /DELETED\s+watched-pod/);
});

test('describe shows the object and explain the schema', async (t) => {
  await kubectl('apply', '-f', await manifest('described', deploymentYaml('described')));
  const description = await kubectl('describe', 'deployment', 'described');
  t.regex(description, /Name:\s+described/);
  t.regex(description, /Replicas:\s+2 desired/);
  t.regex(await kubectl('explain', 'pod.spec.containers.image'), /FIELD:\s+image <string>/);
  t.regex(await kubectl('explain', 'deployments.spec.replicas'), /replicas <integer>/);
});

test('label and annotate change metadata', async (t) => {
  await kubectl('apply', '-f', await manifest('labelled', podYaml('labelled')));
  t.regex(await kubectl('label', 'pod', 'labelled', 'color=blue'), /pod\/labelled labeled/);
  t.regex(await kubectl('annotate', 'pod', 'labelled', 'note=hello'), /pod\/labelled annotated/);
  const pod = await server.client.get<Pod>(pods, 'default', 'labelled');
  t.is(pod.metadata.labels?.color, 'blue');
  t.is(pod.metadata.annotations?.note, 'hello');
  t.regex(await kubectl('label', 'pod', 'labelled', 'color-'), /unlabeled/);
});

test('patch with strategic, merge and json patches', async (t) => {
  await kubectl('apply', '-f', await manifest('patched', deploymentYaml('patched')));
  await kubectl('patch', 'deployment', 'patched', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}');
  await kubectl('patch', 'deployment', 'patched', '--type', 'merge', '-p', '{"spec":{"replicas":5}}');
  await kubectl('patch', 'deployment', 'patched', '--type', 'json', '-p', '[{"op":"add","path":"/metadata/labels/patched","value":"yes"}]');
  const deployment = await server.client.get<Deployment>(deployments, 'default', 'patched');
  t.is(deployment.spec.template.spec.containers[0].image, 'nginx:1.27');
  t.is(deployment.spec.template.spec.containers[0].env?.[0]?.name, 'MODE');
  t.is(deployment.spec.replicas, 5);
  t.is(deployment.metadata.labels?.patched, 'yes');
});

test('set image and set env', async (t) => {
  await kubectl('apply', '-f', await manifest('settable', deploymentYaml('settable')));
  t.regex(await kubectl('set', 'image', 'deployment/settable', 'web=nginx:1.26'), /image updated/);
  t.regex(await kubectl('set', 'env', 'deployment/settable', 'LEVEL=debug'), /env updated/);
  const deployment = await server.client.get<Deployment>(deployments, 'default', 'settable');
  const container = deployment.spec.template.spec.containers[0];
  t.is(container.image, 'nginx:1.26');
  t.deepEqual(container.env?.map((variable) => variable.name), ['MODE', 'LEVEL']);
});

test('scale writes the scale subresource', async (t) => {
  await kubectl('apply', '-f', await manifest('scalable', deploymentYaml('scalable')));
  t.regex(await kubectl('scale', 'deployment', 'scalable', '--replicas=7'), /scaled/);
  const deployment = await server.client.get<Deployment>(deployments, 'default', 'scalable');
  t.is(deployment.spec.replicas, 7);
});

test('replace swaps the whole object', async (t) => {
  await kubectl('apply', '-f', await manifest('replaced', deploymentYaml('replaced')));
  const path = await manifest('replaced-2', deploymentYaml('replaced', 1, 'nginx:1.20'));
  t.regex(await kubectl('replace', '-f', path), /deployment.apps\/replaced replaced/);
  const deployment = await server.client.get<Deployment>(deployments, 'default', 'replaced');
  t.is(deployment.spec.template.spec.containers[0].image, 'nginx:1.20');
});

test('create --dry-run=server stores nothing', async (t) => {
  const path = await manifest('dry', deploymentYaml('dry-run'));
  t.regex(await kubectl('create', '-f', path, '--dry-run=server'), /deployment.apps\/dry-run created \(server dry run\)/);
  t.regex(await kubectlFails('get', 'deployment', 'dry-run'), /NotFound|not found/);
});

test('create namespace and deployment send protobuf', async (t) => {
  t.regex(await kubectl('create', 'namespace', 'typed-ns'), /namespace\/typed-ns created/);
  t.regex(await kubectl('create', 'deployment', 'typed', '--image=nginx:1.25', '--replicas=3', '--port=8080', '-n', 'typed-ns', '--', 'nginx', '-g', 'daemon off;'),
    /deployment.apps\/typed created/);
  const deployment = await server.client.get<Deployment>(deployments, 'typed-ns', 'typed');
  t.is(deployment.spec.replicas, 3);
  t.deepEqual(deployment.spec.selector.matchLabels, { app: 'typed' });
  const container = deployment.spec.template.spec.containers[0];
  t.is(container.image, 'nginx:1.25');
  t.deepEqual(container.command, ['nginx', '-g', 'daemon off;']);
  t.is(container.ports?.[0].containerPort, 8080);
});

test('delete with cascade variants', async (t) => {
  for (const name of ['cascade-bg', 'cascade-orphan', 'cascade-fg']) await kubectl('apply', '-f', await manifest(name, deploymentYaml(name)));
  t.regex(await kubectl('delete', 'deployment', 'cascade-bg', '--cascade=background'), /deleted/);
  t.regex(await kubectl('delete', 'deployment', 'cascade-orphan', '--cascade=orphan', '--wait=false'), /deleted/);
  t.regex(await kubectl('delete', 'deployment', 'cascade-fg', '--cascade=foreground', '--wait=false'), /deleted/);
  t.regex(await kubectlFails('get', 'deployment', 'cascade-bg'), /not found/);
  // Without a garbage collector running, the GC finalizers keep these two in place.
  const orphaned = await server.client.get<KubeObject>(deployments, 'default', 'cascade-orphan');
  t.deepEqual(orphaned.metadata.finalizers, ['orphan']);
  const foreground = await server.client.get<KubeObject>(deployments, 'default', 'cascade-fg');
  t.deepEqual(foreground.metadata.finalizers, ['foregroundDeletion']);
});

test('errors print as kube-apiserver prints them', async (t) => {
  const noImage = await manifest('invalid', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: invalid\nspec:\n  containers:\n  - name: main\n');
  t.regex(await kubectlFails('apply', '-f', noImage), /spec.containers\[0\].image: Required value/);
  t.regex(await kubectlFails('get', 'pod', 'missing'), /pods "missing" not found/);
  const unknownField = await manifest('unknown', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: unknown\nspec:\n  foo: 1\n  containers:\n  - name: main\n    image: busybox\n');
  t.regex(await kubectlFails('create', '-f', unknownField), /unknown field "spec.foo"/);
  const empty = await run('/usr/bin/kubectl', ['--kubeconfig', server.kubeconfigPath, 'get', 'replicasets', '-n', 'kube-public']);
  t.regex(empty.stderr, /No resources found in kube-public namespace/);
});
