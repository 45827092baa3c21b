import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { ApiClient } from '../../api/client.js';
import { deployments, replicaSets } from '../../api/resources.js';
import type { Deployment, ReplicaSet } from '../../api/types.js';
import { isReady, isTerminating, kubectl, listPods, startCluster, waitFor, type TestCluster } from './setup.js';

const replicaSetManifest = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox:1
`;

const deploymentManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 3
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
      - name: app
        image: busybox:1
`;

/** Runs kubectl and fails the test with its output when it exits non-zero. */
async function run(t: ExecutionContext, cluster: TestCluster, ...args: string[]): Promise<string> {
  const result = await kubectl(cluster.api.kubeconfigPath, ...args);
  t.is(result.status, 0, `kubectl ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

async function ownedReplicaSets(client: ApiClient, name: string): Promise<ReplicaSet[]> {
  const d = await client.get<Deployment>(deployments, 'default', name);
  const list = await client.list<ReplicaSet>(replicaSets, { namespace: 'default' });
  return list.items.filter((rs) => rs.metadata.ownerReferences?.some((owner) => owner.uid === d.metadata.uid));
}

async function image(client: ApiClient, name: string): Promise<string | undefined> {
  return (await client.get<Deployment>(deployments, 'default', name)).spec.template.spec.containers[0].image;
}

test('kubectl apply, scale and pod deletion of a replica set', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;
  const manifest = join(cluster.api.dataDir, 'rs.yaml');
  await writeFile(manifest, replicaSetManifest);

  await run(t, cluster, 'apply', '-f', manifest);
  await waitFor('2 ready pods', async () => (await listPods(client, { app: 'web' })).filter(isReady).length === 2);

  await run(t, cluster, 'scale', 'replicaset', 'web', '--replicas=4');
  await waitFor('4 ready pods', async () => (await listPods(client, { app: 'web' })).filter(isReady).length === 4);

  const victim = (await listPods(client, { app: 'web' }))[0].metadata.name ?? '';
  await run(t, cluster, 'delete', 'pod', victim);
  const pods = await waitFor('a replacement', async () => {
    const live = (await listPods(client, { app: 'web' })).filter((pod) => !isTerminating(pod) && isReady(pod));
    return live.length === 4 && live.every((pod) => pod.metadata.name !== victim) ? live : undefined;
  });
  t.is(pods.length, 4);

  const described = await run(t, cluster, 'describe', 'replicaset', 'web');
  t.regex(described, /SuccessfulCreate/);
  t.regex(described, /Created pod: web-/);
});

test('kubectl rollout of a deployment: status, history, undo, pause, resume, restart, delete', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const { client } = cluster;
  const manifest = join(cluster.api.dataDir, 'deployment.yaml');
  await writeFile(manifest, deploymentManifest);

  await run(t, cluster, 'apply', '-f', manifest);
  t.regex(await run(t, cluster, 'rollout', 'status', 'deployment/app', '--timeout=40s'), /successfully rolled out/);

  await run(t, cluster, 'set', 'image', 'deployment/app', 'app=busybox:2');
  t.regex(await run(t, cluster, 'rollout', 'status', 'deployment/app', '--timeout=40s'), /successfully rolled out/);
  t.is(await image(client, 'app'), 'busybox:2');

  const described = await run(t, cluster, 'describe', 'deployment', 'app');
  t.regex(described, /ScalingReplicaSet/);
  t.regex(described, /NewReplicaSetAvailable/);

  const history = await run(t, cluster, 'rollout', 'history', 'deployment/app');
  t.regex(history, /^1\s/m);
  t.regex(history, /^2\s/m);

  await run(t, cluster, 'rollout', 'undo', 'deployment/app');
  t.is(await image(client, 'app'), 'busybox:1');
  t.regex(await run(t, cluster, 'rollout', 'status', 'deployment/app', '--timeout=40s'), /successfully rolled out/);
  const afterUndo = await ownedReplicaSets(client, 'app');
  t.is(afterUndo.length, 2);
  t.is(afterUndo.find((rs) => rs.spec.template.spec.containers[0].image === 'busybox:1')?.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');

  await run(t, cluster, 'rollout', 'pause', 'deployment/app');
  await run(t, cluster, 'set', 'image', 'deployment/app', 'app=busybox:3');
  await waitFor('the paused generation observed', async () => {
    const d = await client.get<Deployment>(deployments, 'default', 'app');
    return d.status?.observedGeneration === d.metadata.generation;
  });
  t.is((await ownedReplicaSets(client, 'app')).length, 2);
  await run(t, cluster, 'rollout', 'resume', 'deployment/app');
  t.regex(await run(t, cluster, 'rollout', 'status', 'deployment/app', '--timeout=40s'), /successfully rolled out/);
  t.is((await ownedReplicaSets(client, 'app')).length, 3);

  await run(t, cluster, 'rollout', 'restart', 'deployment/app');
  t.regex(await run(t, cluster, 'rollout', 'status', 'deployment/app', '--timeout=40s'), /successfully rolled out/);
  const restarted = await ownedReplicaSets(client, 'app');
  t.is(restarted.length, 4);
  t.true(restarted.some((rs) => rs.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] !== undefined));

  await run(t, cluster, 'delete', 'deployment', 'app');
  await waitFor('replica sets gone', async () => (await client.list<ReplicaSet>(replicaSets, { namespace: 'default' })).items.length === 0);
  await waitFor('pods gone', async () => (await listPods(client, { app: 'app' })).length === 0);
});
