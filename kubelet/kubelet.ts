// The kubelet: it registers this machine as a Node, keeps its Lease and
// status fresh, runs the pods bound to it through the runtime, and serves
// their logs and exec sessions. It keeps no state of its own beyond memory,
// because the runtime's on-disk state records what runs. A restarted kubelet
// picks up its containers where the last one left them.

import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { isNotFound, type ApiClient } from '../api/client.js';
import { Informer, type ReadonlyDeep } from '../api/informer.js';
import { createLogger, type Logger } from '../api/log.js';
import { pods } from '../api/resources.js';
import type { Pod } from '../api/types.js';
import type { ContainerStatus, ImageService, RuntimeService } from '../runtime/cri.js';
import { Backoff } from './backoff.js';
import { ApiEventRecorder } from './events.js';
import { NodeLease } from './lease.js';
import { HttpError } from './logs.js';
import { NodeStatusReporter } from './node-status.js';
import { Pleg } from './pleg.js';
import { removePodDirectories } from './pod-directories.js';
import { PodSyncer } from './pod-sync.js';
import { PodWorkers } from './pod-workers.js';
import { ProbeManager } from './probe-manager.js';
import { instancesOf, RuntimeCache } from './runtime-state.js';
import { startKubeletServer } from './server.js';
import { StatusManager } from './status-manager.js';

export interface KubeletOptions {
  client: ApiClient;
  nodeName: string;
  dataDir: string;
  runtime: RuntimeService & ImageService;
  /** Address to serve the kubelet API on, and the node's InternalIP; 127.0.0.1 by default. */
  address?: string;
  /** Kubelet API port; 10250 by default, 0 for any free port. */
  port?: number;
  podCIDR?: string;
  maxPods?: number;
  /** First crash-loop delay; it doubles up to maxCrashBackoffMs. 10 s by default. */
  crashBackoffBaseMs?: number;
  maxCrashBackoffMs?: number;
  /** First image pull retry delay; 10 s by default. */
  imageBackoffBaseMs?: number;
  /** Runtime relist period; 1 s by default. */
  relistIntervalMs?: number;
  /** Sync period of an idle pod; 10 s by default. */
  resyncIntervalMs?: number;
  nodeStatusIntervalMs?: number;
  nodeStatusReportIntervalMs?: number;
  leaseRenewIntervalMs?: number;
}

export interface Kubelet {
  port: number;
  stop(): Promise<void>;
}

export async function startKubelet(options: KubeletOptions): Promise<Kubelet> {
  const { client, nodeName, runtime } = options;
  const address = options.address ?? '127.0.0.1';
  const hostIP = address === '0.0.0.0' || address === '::' ? firstHostAddress() : address;
  const logger = createLogger('kubelet', { node: nodeName });
  const logRoot = join(options.dataDir, 'pods');
  mkdirSync(logRoot, { recursive: true });

  const cache = new RuntimeCache(runtime);
  const informer = new Informer<Pod>(client, pods, { fieldSelector: `spec.nodeName=${nodeName}`, logger: logger.with({ resource: 'pods' }) });
  const recorder = new ApiEventRecorder(client, nodeName, logger);
  const statusManager = new StatusManager(client, logger);
  // Probe results trigger syncs of the pod workers created below; no probe runs before they exist.
  const probes = new ProbeManager({ runtime, recorder, logger, onChange: (uid) => podWorkers.trigger(uid) });
  const maxCrashBackoffMs = options.maxCrashBackoffMs ?? 5 * 60_000;
  const syncer = new PodSyncer({
    runtime, cache, client, recorder, statusManager, probes, nodeName, hostIP, logRoot, logger,
    crashBackoff: new Backoff({ baseMs: options.crashBackoffBaseMs ?? 10_000, maxMs: maxCrashBackoffMs }),
    imageBackoff: new Backoff({ baseMs: options.imageBackoffBaseMs ?? 10_000, maxMs: maxCrashBackoffMs }),
  });

  const syncPod = async (uid: string, pod: ReadonlyDeep<Pod> | undefined): Promise<number | undefined> => {
    if (pod === undefined) {
      await syncer.cleanupOrphan(uid);
      return undefined;
    }
    if (pod.metadata.deletionTimestamp === undefined) return syncer.syncPod(pod);

    await syncer.terminatePod(pod);
    // The apiserver keeps a bound pod until its kubelet confirms the containers are gone.
    try {
      await client.delete(pods, pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid } });
      logger.info('Pod deleted', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, uid });
    } catch (error) {
      if (!isNotFound(error)) throw new Error('delete terminated pod', { cause: error });
    }
    return undefined;
  };
  const podWorkers = new PodWorkers({ sync: syncPod, logger, resyncIntervalMs: options.resyncIntervalMs });

  informer.addEventHandler({
    add: (pod) => podWorkers.update(pod),
    update: (old, pod) => {
      if (old.metadata.uid !== pod.metadata.uid) podWorkers.remove(old.metadata.uid ?? '');
      podWorkers.update(pod);
    },
    delete: (pod) => podWorkers.remove(pod.metadata.uid ?? ''),
  });

  const lookup = async (namespace: string, podName: string, containerName: string, previous: boolean): Promise<ContainerStatus> => {
    const pod = informer.get(`${namespace}/${podName}`);
    if (pod === undefined) throw new HttpError(404, `pod "${podName}" in namespace "${namespace}" not found on node ${nodeName}`);
    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    if (!specs.some((spec) => spec.name === containerName)) throw new HttpError(400, `container ${containerName} is not valid for pod ${podName}`);
    const instances = instancesOf(await cache.observePod(pod.metadata.uid ?? ''), containerName);
    const found = instances[previous ? 1 : 0];
    if (found !== undefined) return found;
    if (previous) throw new HttpError(400, `previous terminated container "${containerName}" in pod "${podName}" not found`);
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const reason = statuses.find((status) => status.name === containerName)?.state?.waiting?.reason ?? 'ContainerCreating';
    throw new HttpError(400, `container "${containerName}" in pod "${podName}" is waiting to start: ${reason}`);
  };

  const server = await startKubeletServer({ runtime, lookup, logger, address, port: options.port ?? 10250 });
  const nodeStatus = new NodeStatusReporter({
    client, runtime, nodeName, address: hostIP, kubeletPort: server.port, podCIDR: options.podCIDR,
    maxPods: options.maxPods ?? 110, dataDir: options.dataDir, logger,
    updateIntervalMs: options.nodeStatusIntervalMs, reportIntervalMs: options.nodeStatusReportIntervalMs,
  });
  const lease = new NodeLease({ client, nodeName, logger, node: () => nodeStatus.node, renewIntervalMs: options.leaseRenewIntervalMs });

  // Pods the API no longer has, deleted while this kubelet was down or force-deleted, get a worker that removes them.
  const pleg = new Pleg({
    cache, logger, intervalMs: options.relistIntervalMs,
    onChange: (uid) => podWorkers.trigger(uid),
    onRelist: (observed) => {
      if (!informer.hasSynced()) return;
      const known = new Set(informer.list().map((pod) => pod.metadata.uid));
      for (const uid of observed.keys()) if (!known.has(uid) && !podWorkers.has(uid)) podWorkers.remove(uid);
    },
  });

  try {
    await nodeStatus.register();
  } catch (error) {
    await server.close();
    throw error;
  }
  nodeStatus.start();
  lease.start();
  // Index what the runtime already runs before any pod syncs, so no sync mistakes a running pod for a new one.
  const running = await cache.observeAll();
  informer.start();
  await informer.waitForSync();
  pleg.start();
  await removeOrphanedDirectories(logRoot, running, podWorkers, logger);
  logger.info('Kubelet started', { pods: informer.size, port: server.port });

  return {
    port: server.port,
    stop: async () => {
      informer.stop();
      pleg.stop();
      podWorkers.stop();
      await podWorkers.idle();
      probes.stopAll();
      lease.stop();
      nodeStatus.stop();
      await recorder.flush();
      await server.close();
      logger.info('Kubelet stopped');
    },
  };
}

/**
 * Removes the directories of pods deleted while no kubelet ran. Every pod the
 * API has gets a worker before its first sync creates its directory, and the
 * runtime's pods keep theirs until their own cleanup, so neither loses one.
 */
async function removeOrphanedDirectories(logRoot: string, running: ReadonlyMap<string, unknown>, podWorkers: PodWorkers, logger: Logger): Promise<void> {
  try {
    const removed = await removePodDirectories(logRoot, (uid) => running.has(uid) || podWorkers.has(uid), logger);
    if (removed > 0) logger.info('Removed directories of pods deleted while the kubelet was down', { count: removed });
  } catch (error) {
    // Leftover directories only take disk space, so they never stop the kubelet from starting.
    logger.warn('Failed to remove orphaned pod directories', { err: error });
  }
}

function firstHostAddress(): string {
  for (const entries of Object.values(os.networkInterfaces())) {
    const found = entries?.find((entry) => entry.family === 'IPv4' && !entry.internal);
    if (found) return found.address;
  }
  return '127.0.0.1';
}
