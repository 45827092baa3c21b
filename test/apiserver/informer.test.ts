// A @kubernetes/client-node list-and-watch informer follows the apiserver:
// it lists, watches, and receives adds, updates and deletes into its cache.

import test from 'ava';
import * as k8s from '@kubernetes/client-node';
import { pods } from '../../api/resources.js';
import type { Pod } from '../../api/types.js';
import { startTestApiserver } from '../helpers/apiserver.js';

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/**
 * Loads the apiserver's kubeconfig. client-node 2.x rejects plain http://
 * servers unless the cluster entry skips TLS verification, so the loaded
 * cluster is marked that way. There is no TLS to verify.
 */
function loadKubeConfig(path: string): k8s.KubeConfig {
  const file = new k8s.KubeConfig();
  file.loadFromFile(path);
  const config = new k8s.KubeConfig();
  config.loadFromOptions({
    clusters: file.clusters.map((cluster) => ({ ...cluster, skipTLSVerify: true })),
    users: file.users,
    contexts: file.contexts,
    currentContext: file.currentContext,
  });
  return config;
}

function newPod(name: string, labels: Record<string, string> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
}

test('client-node informer lists and watches pods', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  await server.client.create(pods, newPod('before'));

  const config = loadKubeConfig(server.kubeconfigPath);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const informer = k8s.makeInformer(config, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }));
  const seen: string[] = [];
  informer.on('add', (pod) => seen.push(`add ${pod.metadata?.name}`));
  informer.on('update', (pod) => seen.push(`update ${pod.metadata?.name} ${pod.metadata?.labels?.phase ?? ''}`));
  informer.on('delete', (pod) => seen.push(`delete ${pod.metadata?.name}`));
  informer.on('error', (error) => seen.push(`error ${String(error)}`));
  await informer.start();
  t.teardown(() => informer.stop());

  await until('the initial list', () => seen.includes('add before'));
  await server.client.create(pods, newPod('after'));
  await until('the watched add', () => seen.includes('add after'));
  const current = await server.client.get<Pod>(pods, 'default', 'after');
  await server.client.update(pods, { ...current, metadata: { ...current.metadata, labels: { phase: 'two' } } });
  await until('the watched update', () => seen.includes('update after two'));
  await server.client.delete(pods, 'default', 'before');
  await until('the watched delete', () => seen.includes('delete before'));

  t.deepEqual(informer.list().map((pod) => pod.metadata?.name).sort(), ['after']);
  t.false(seen.some((entry) => entry.startsWith('error')), seen.join('; '));
});

test('client-node reads and writes through the typed API', async (t) => {
  const server = await startTestApiserver();
  t.teardown(() => server.close());
  const config = loadKubeConfig(server.kubeconfigPath);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const apps = config.makeApiClient(k8s.AppsV1Api);

  const namespaces = await core.listNamespace();
  t.true(namespaces.items.some((namespace) => namespace.metadata?.name === 'kube-node-lease'));
  const created = await apps.createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'typed' },
      spec: { selector: { matchLabels: { app: 'typed' } }, template: { metadata: { labels: { app: 'typed' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    },
  });
  t.is(created.metadata?.generation, 1);
  const read = await apps.readNamespacedDeployment({ namespace: 'default', name: 'typed' });
  t.is(read.metadata?.uid, created.metadata?.uid);
  await t.throwsAsync(core.readNamespacedPod({ namespace: 'default', name: 'absent' }));
});
