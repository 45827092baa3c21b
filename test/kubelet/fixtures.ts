// Builders and a harness for kubelet tests: a real apiserver, a kubelet with
// short intervals, and a runtime (the in-memory fake unless one is given).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pods } from '../../api/resources.js';
import type { Container, Pod, PodSpec } from '../../api/types.js';
import type { ImageService, RuntimeService } from '../../runtime/cri.js';
import { startKubelet, type Kubelet, type KubeletOptions } from '../../kubelet/kubelet.js';
import { startTestApiserver, type TestApiserver } from '../helpers/apiserver.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';

export { waitFor } from '../helpers/wait.js';

export function newContainer(name: string, overrides: Partial<Container> = {}): Container {
  return { name, image: 'tinykube/base', imagePullPolicy: 'IfNotPresent', ...overrides };
}

export function newPod(name: string, nodeName: string, spec: Partial<PodSpec> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { nodeName, containers: [newContainer('main')], terminationGracePeriodSeconds: 2, ...spec },
  };
}

export interface Harness {
  api: TestApiserver;
  runtime: RuntimeService & ImageService;
  nodeName: string;
  dataDir: string;
  kubelet: Kubelet;
  /** Stops the kubelet and starts a new one on the same runtime and data dir. */
  restartKubelet(): Promise<Kubelet>;
  getPod(name: string): Promise<Pod>;
  close(): Promise<void>;
}

export const fastIntervals: Partial<KubeletOptions> = {
  crashBackoffBaseMs: 400,
  maxCrashBackoffMs: 2000,
  imageBackoffBaseMs: 400,
  relistIntervalMs: 100,
  resyncIntervalMs: 1000,
  nodeStatusIntervalMs: 200,
  leaseRenewIntervalMs: 200,
};

export async function startHarness(options: { runtime?: RuntimeService & ImageService; kubelet?: Partial<KubeletOptions> } = {}): Promise<Harness> {
  const api = await startTestApiserver();
  const dataDir = await mkdtemp(join(tmpdir(), 'tinykube-kubelet-'));
  const runtime = options.runtime ?? new FakeRuntime();
  const nodeName = `node-${Math.random().toString(36).slice(2, 8)}`;
  const start = () => startKubelet({ client: api.client, nodeName, dataDir, runtime, port: 0, ...fastIntervals, ...options.kubelet });
  const harness: Harness = {
    api, runtime, nodeName, dataDir,
    kubelet: await start().catch(async (error: unknown) => {
      await api.close();
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }),
    restartKubelet: async () => {
      await harness.kubelet.stop();
      harness.kubelet = await start();
      return harness.kubelet;
    },
    getPod: (name) => api.client.get<Pod>(pods, 'default', name),
    close: async () => {
      await harness.kubelet.stop();
      if (runtime instanceof FakeRuntime) runtime.close();
      await api.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
