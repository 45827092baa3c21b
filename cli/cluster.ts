// A single-node cluster in one process: the apiserver, the controller-manager,
// the scheduler and a kubelet for this host. They share the process but not
// memory: each component has its own API client and talks to the others only
// through the apiserver's HTTP API, as separate binaries would.

import { mkdir } from 'node:fs/promises';
import { ApiClient } from '../api/client.js';
import { createLogger } from '../api/log.js';
import { startApiserver } from '../apiserver/server.js';
import { startControllerManager } from '../controllers/manager.js';
import { startKubelet } from '../kubelet/kubelet.js';
import { ensureBaseImage } from '../runtime/image/base-image.js';
import { ImageStore } from '../runtime/image/store.js';
import { createRuntime } from '../runtime/runtime.js';
import { startScheduler } from '../scheduler/scheduler.js';
import { clusterPaths } from './cluster-paths.js';
import { saveClusterSettings } from './cluster-settings.js';
import { joinRuntimeAndImages } from './node-runtime.js';

const logger = createLogger('tinykube-up');

export interface ClusterOptions {
  dataDir: string;
  /** The apiserver's port; 0 picks a free one, which the kubeconfig then holds. */
  port: number;
  /** Address the apiserver and the kubelet listen on. */
  bindAddress: string;
  nodeName: string;
  podCIDR: string;
  bridgeName: string;
  cgroupRoot: string;
  /** The kubelet's port for logs and exec; 0 picks a free one. */
  kubeletPort: number;
  maxPods: number;
  /** Called with the steps of the first start's base image build. */
  onBaseImageProgress: (message: string) => void;
  /** Called once the apiserver serves, before the slower steps. */
  onApiserverReady: (kubeconfigPath: string) => void;
}

export interface RunningCluster {
  kubeconfigPath: string;
  url: string;
  /** Stops every component, newest first; pods keep running, as when a real kubelet stops. */
  stop(): Promise<void>;
}

interface Component {
  name: string;
  stop(): Promise<void> | void;
}

/** Stops the components newest first, logging and absorbing each failure so the rest still stop. */
async function stopAll(components: Component[]): Promise<void> {
  for (const component of [...components].reverse()) {
    try {
      await component.stop();
    } catch (error) {
      logger.error('Stopping a component failed', { component: component.name, err: error });
    }
  }
}

function clientFor(url: string, component: string): ApiClient {
  return new ApiClient({ server: url, userAgent: `tinykube-${component}` });
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const paths = clusterPaths(options.dataDir);
  const components: Component[] = [];
  try {
    for (const dir of [paths.dataDir, paths.runtime, paths.kubelet]) await mkdir(dir, { recursive: true });
    // Saved first, so that `tinykube down` finds the bridge and cgroups even if the start fails half-way.
    saveClusterSettings(paths.dataDir, { nodeName: options.nodeName, bridgeName: options.bridgeName, podCIDR: options.podCIDR, cgroupRoot: options.cgroupRoot });

    const apiserver = await startApiserver({ dataDir: paths.apiserver, port: options.port, bindAddress: options.bindAddress });
    components.push({ name: 'apiserver', stop: () => apiserver.close() });
    options.onApiserverReady(apiserver.kubeconfigPath);

    const controllerClient = clientFor(apiserver.url, 'controller-manager');
    const controllerManager = await startControllerManager({ client: controllerClient });
    components.push({ name: 'controller-manager', stop: async () => { await controllerManager.stop(); controllerClient.close(); } });

    const schedulerClient = clientFor(apiserver.url, 'scheduler');
    const scheduler = await startScheduler({ client: schedulerClient });
    components.push({ name: 'scheduler', stop: async () => { await scheduler.stop(); schedulerClient.close(); } });

    // The base image comes before the kubelet, so that the first pods find it.
    const images = await ImageStore.open(paths.dataDir);
    await ensureBaseImage(images, { onProgress: options.onBaseImageProgress });

    const runtime = await createRuntime({
      dataDir: paths.runtime,
      bridgeName: options.bridgeName,
      podCIDR: options.podCIDR,
      cgroupRoot: options.cgroupRoot,
      images,
    });
    components.push({ name: 'runtime', stop: () => runtime.close() });

    const kubeletClient = clientFor(apiserver.url, 'kubelet');
    const kubelet = await startKubelet({
      client: kubeletClient,
      nodeName: options.nodeName,
      dataDir: paths.kubelet,
      runtime: joinRuntimeAndImages(runtime, images),
      address: options.bindAddress,
      port: options.kubeletPort,
      podCIDR: options.podCIDR,
      maxPods: options.maxPods,
    });
    components.push({ name: 'kubelet', stop: async () => { await kubelet.stop(); kubeletClient.close(); } });
    logger.info('Started', { node: options.nodeName, apiserver: apiserver.url, kubeletPort: kubelet.port });

    return { kubeconfigPath: apiserver.kubeconfigPath, url: apiserver.url, stop: () => stopAll(components) };
  } catch (error) {
    await stopAll(components);
    throw error;
  }
}
