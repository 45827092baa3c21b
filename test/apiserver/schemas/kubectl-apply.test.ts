import test from 'ava';
import { registerKubectlFixture } from '../../helpers/kubectl.js';

const { kubectl } = registerKubectlFixture(test);

const deployment = (name: string, replicas: number, image: string, extra = '') => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: ${image}
        env: [{name: MODE, value: "one"}]${extra}
`;

const pod = (name: string, container: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
${container}
`;

async function jsonPath(kubectlArgs: string[], path: string): Promise<string> {
  return (await kubectl([...kubectlArgs, '-o', `jsonpath=${path}`])).stdout;
}

test.serial('apply rejects unknown fields with a strict decoding error', async (t) => {
  const result = await kubectl(['apply', '-f', '-'], pod('strict', '  - name: c\n    image: busybox\n    imagePolicy: Always'));
  t.not(result.code, 0);
  t.regex(result.stderr, /strict decoding error: unknown field "spec\.containers\[0\]\.imagePolicy"/);
});

test.serial('apply reports a missing image as kube-apiserver does', async (t) => {
  const result = await kubectl(['apply', '-f', '-'], pod('noimage', '  - name: c'));
  t.not(result.code, 0);
  t.regex(result.stderr, /The Pod "noimage" is invalid: spec\.containers\[0\]\.image: Required value/);
});

test.serial('apply reports a selector that misses the template labels', async (t) => {
  const manifest = deployment('mismatch', 1, 'nginx:1.27').replace('matchLabels: {app: mismatch}', 'matchLabels: {app: other}');
  const result = await kubectl(['apply', '-f', '-'], manifest);
  t.not(result.code, 0);
  t.regex(result.stderr, /spec\.template\.metadata\.labels: Invalid value: map\[string\]string\{"app":"mismatch"\}: `selector` does not match template `labels`/);
});

test.serial('client-side apply creates, updates and removes fields', async (t) => {
  t.is((await kubectl(['apply', '-f', '-'], deployment('csa', 2, 'nginx:1.27'))).code, 0);
  const update = deployment('csa', 3, 'nginx:1.28').replace('env: [{name: MODE, value: "one"}]', 'env: [{name: LEVEL, value: "2"}]');
  const result = await kubectl(['apply', '-f', '-'], update);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /deployment.apps\/csa configured/);
  t.is(await jsonPath(['get', 'deploy', 'csa'], '{.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env}'),
    '3 nginx:1.28 [{"name":"LEVEL","value":"2"}]');
});

test.serial('set image, set env, scale and rollout restart', async (t) => {
  t.is((await kubectl(['apply', '-f', '-'], deployment('edits', 1, 'nginx:1.27'))).code, 0);
  t.is((await kubectl(['set', 'image', 'deployment/edits', 'main=nginx:1.29'])).code, 0);
  t.is((await kubectl(['set', 'env', 'deployment/edits', 'EXTRA=yes', 'MODE-'])).code, 0);
  t.is((await kubectl(['scale', 'deployment/edits', '--replicas=4'])).code, 0);
  t.is((await kubectl(['rollout', 'restart', 'deployment/edits'])).code, 0);
  t.is(await jsonPath(['get', 'deploy', 'edits'], '{.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env}'),
    '4 nginx:1.29 [{"name":"EXTRA","value":"yes"}]');
  t.regex(await jsonPath(['get', 'deploy', 'edits'], '{.spec.template.metadata.annotations}'), /kubectl.kubernetes.io\/restartedAt/);
});

test.serial('get -o wide prints the wide columns', async (t) => {
  t.is((await kubectl(['apply', '-f', '-'], deployment('wide', 2, 'nginx:1.27'))).code, 0);
  const deployments = await kubectl(['get', 'deploy', 'wide', '-o', 'wide']);
  t.regex(deployments.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
  t.regex(deployments.stdout, /\nwide\s+0\/2\s+0\s+0\s+\d+s\s+main\s+nginx:1.27\s+app=wide\n/);

  t.is((await kubectl(['run', 'solo', '--image=busybox', '--', 'sleep', '60'])).code, 0);
  const pods = await kubectl(['get', 'po', 'solo', '-o', 'wide']);
  t.regex(pods.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/);
  t.regex(pods.stdout, /\nsolo\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>\n/);
  const plain = await kubectl(['get', 'po', 'solo']);
  t.regex(plain.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
});

test.serial('server-side apply conflicts with client-side apply until forced', async (t) => {
  t.is((await kubectl(['apply', '-f', '-'], deployment('ssa', 1, 'nginx:1.27'))).code, 0);
  const conflict = await kubectl(['apply', '--server-side', '-f', '-'], deployment('ssa', 5, 'nginx:1.27'));
  t.not(conflict.code, 0);
  t.regex(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps\/v1: \.spec\.replicas/);

  const forced = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], deployment('ssa', 5, 'nginx:1.27'));
  t.is(forced.code, 0, forced.stderr);
  t.regex(forced.stdout, /serverside-applied/);
  t.is(await jsonPath(['get', 'deploy', 'ssa'], '{.spec.replicas}'), '5');
});

test.serial('server-side apply creates and prunes its own fields', async (t) => {
  const withPort = deployment('pruned', 1, 'nginx:1.27', '\n        ports: [{containerPort: 8080}]');
  const created = await kubectl(['apply', '--server-side', '-f', '-'], withPort);
  t.is(created.code, 0, created.stderr);
  t.is(await jsonPath(['get', 'deploy', 'pruned'], '{.spec.template.spec.containers[0].ports[0].containerPort}'), '8080');
  const managers = await jsonPath(['get', 'deploy', 'pruned', '--show-managed-fields'], '{.metadata.managedFields[*].manager}/{.metadata.managedFields[*].operation}');
  t.is(managers, 'kubectl/Apply');

  const updated = await kubectl(['apply', '--server-side', '-f', '-'], deployment('pruned', 1, 'nginx:1.27'));
  t.is(updated.code, 0, updated.stderr);
  t.is(await jsonPath(['get', 'deploy', 'pruned'], '{.spec.template.spec.containers[0].ports}'), '');
});

test.serial('create --dry-run=server validates without storing', async (t) => {
  const result = await kubectl(['create', '--dry-run=server', '-f', '-'], pod('dry', '  - name: c\n    image: busybox'));
  t.is(result.code, 0, result.stderr);
  const get = await kubectl(['get', 'pod', 'dry']);
  t.not(get.code, 0);
});

test.serial('api-resources lists every kind with short names', async (t) => {
  const result = await kubectl(['api-resources']);
  t.is(result.code, 0, result.stderr);
  for (const line of [/pods\s+po\s+v1\s+true\s+Pod/, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/, /nodes\s+no\s+v1\s+false\s+Node/, /leases\s+coordination.k8s.io\/v1\s+true\s+Lease/]) {
    t.regex(result.stdout, line);
  }
  const all = await kubectl(['get', 'all']);
  t.is(all.code, 0, all.stderr);
});

test.serial('re-applying a pod may change labels and images only', async (t) => {
  const manifest = (label: string, image: string, command = 'sleep') => `
apiVersion: v1
kind: Pod
metadata:
  name: reapplied
  labels: {tier: ${label}}
spec:
  containers:
  - name: c
    image: ${image}
    command: [${command}, "60"]
`;
  t.is((await kubectl(['apply', '-f', '-'], manifest('one', 'busybox:1.36'))).code, 0);
  const relabelled = await kubectl(['apply', '-f', '-'], manifest('two', 'busybox:1.37'));
  t.is(relabelled.code, 0, relabelled.stderr);
  t.is(await jsonPath(['get', 'pod', 'reapplied'], '{.metadata.labels.tier} {.spec.containers[0].image}'), 'two busybox:1.37');

  const changedCommand = await kubectl(['apply', '-f', '-'], manifest('two', 'busybox:1.37', 'echo'));
  t.not(changedCommand.code, 0);
  t.regex(changedCommand.stderr, /The Pod "reapplied" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
});
