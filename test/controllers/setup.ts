// Shared setup of the controller tests: a real apiserver, the
// controller-manager in-process, the fake kubelet, object builders and a
// polling wait with a deadline.

import { execFile } from 'node:child_process';
import type { ApiClient } from '../../api/client.js';
import { pods as podResource } from '../../api/resources.js';
import type { Deployment, Pod, ReplicaSet } from '../../api/types.js';
import { startControllerManager, type ControllerManagerOptions } from '../../controllers/manager.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';
import { startFakeKubelet, type FakeKubelet, type FakeKubeletOptions } from '../helpers/fake-kubelet.js';
import { waitFor as pollUntil } from '../helpers/wait.js';

export interface TestCluster {
  api: TestApiserver;
  client: ApiClient;
  kubelet: FakeKubelet;
  close(): Promise<void>;
}

export interface TestClusterOptions {
  manager?: Omit<ControllerManagerOptions, 'client'>;
  kubelet?: Omit<FakeKubeletOptions, 'client'>;
  /** Start without the controller-manager, for tests that start their own. */
  withoutManager?: boolean;
}

export async function startCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const api = await startTestApiserver();
  const kubelet = await startFakeKubelet({ client: api.client, ...options.kubelet });
  const manager = options.withoutManager ? undefined : await startControllerManager({ client: api.client, ...options.manager });
  return {
    api,
    client: api.client,
    kubelet,
    close: async () => {
      await manager?.stop();
      await kubelet.stop();
      await api.close();
    },
  };
}

/** Polls check every 100 ms. The controllers take longer to converge, so the default deadline is 30 s. */
export function waitFor<T>(message: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  return pollUntil(message, check, timeoutMs, 100);
}

export function newReplicaSet(name: string, replicas: number, labels: Record<string, string> = { app: name }): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'busybox:1' }] } },
    },
  };
}

export function newDeployment(name: string, replicas: number, options: Partial<Deployment['spec']> = {}): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'busybox:1' }] } },
      ...options,
    },
  };
}

/** Lists the pods of namespace whose labels include labels. */
export async function listPods(client: ApiClient, labels: Record<string, string>, namespace = 'default'): Promise<Pod[]> {
  const selector = Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(',');
  return (await client.list<Pod>(podResource, { namespace, labelSelector: selector })).items;
}

export const isReady = (pod: Pod): boolean => pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
export const isTerminating = (pod: Pod): boolean => pod.metadata.deletionTimestamp !== undefined;

/** Runs the real kubectl against kubeconfig; resolves with its exit status and output, never rejects. */
export function kubectl(kubeconfig: string, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      let status = 0;
      if (error) status = typeof error.code === 'number' ? error.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}
