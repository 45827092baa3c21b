// The scheduler: it watches nodes and pods, takes pending pods off the
// scheduling queue one at a time, places each on the best feasible node, and
// binds it in the background while the next pod is being placed.

import { hostname } from 'node:os';
import type { ApiClient } from '../api/client.js';
import { isConflict, isNotFound } from '../api/client.js';
import { Informer, type ReadonlyDeep } from '../api/informer.js';
import { createLogger, type Logger } from '../api/log.js';
import { nodes as nodeResource, pods as podResource } from '../api/resources.js';
import type { Node, Pod } from '../api/types.js';
import { EventRecorder } from '../controllers/framework/events.js';
import { runWhileLeading, type LeaderElectionSettings } from '../controllers/framework/leaderelection.js';
import { ScheduleAlgorithm } from './algorithm.js';
import { bindPod, updatePodScheduledCondition, type UnscheduledReason } from './binder.js';
import { SchedulerCache } from './cache.js';
import * as handlers from './eventhandlers.js';
import { defaultFilters, defaultScores } from './plugins/index.js';
import { SchedulingQueue, type QueuedPodInfo } from './queue.js';
import { slimPod } from './slim.js';

export const defaultSchedulerName = 'default-scheduler';

export interface SchedulerOptions extends LeaderElectionSettings {
  client: ApiClient;
  /** Pods whose spec.schedulerName differs are left to another scheduler. */
  schedulerName?: string;
  /** Percentage of nodes to find feasible before scoring; unset means adaptive, 100 means all. */
  percentageOfNodesToScore?: number;
  /** First retry delay of a pod that failed; doubles per attempt. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  logger?: Logger;
  /** Events waiting to be written beyond which new ones are dropped (1,000, as client-go's event broadcaster). */
  maxQueuedEvents?: number;
}

export interface RunningScheduler {
  stop(): Promise<void>;
}

/** Pods placed between two yields to the event loop, so watch events and binding replies are not starved. */
const podsPerTurn = 32;

class Scheduler {
  private readonly cache = new SchedulerCache();
  private readonly queue: SchedulingQueue;
  private readonly algorithm: ScheduleAlgorithm;
  private readonly recorder: EventRecorder;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  private readonly logger: Logger;
  private readonly bindings = new Set<Promise<void>>();
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly client: ApiClient, private readonly options: SchedulerOptions) {
    this.logger = options.logger ?? createLogger('scheduler');
    this.queue = new SchedulingQueue({ initialBackoffMs: options.initialBackoffMs, maxBackoffMs: options.maxBackoffMs });
    this.algorithm = new ScheduleAlgorithm({ filters: defaultFilters, scores: defaultScores, percentageOfNodesToScore: options.percentageOfNodesToScore });
    const component = options.schedulerName ?? defaultSchedulerName;
    // kube-scheduler names itself in events as the scheduler name and its host, such as default-scheduler-node1.
    this.recorder = new EventRecorder({ client, component, reportingInstance: `${component}-${hostname()}`, maxBacklog: options.maxQueuedEvents });
    this.podInformer = new Informer<Pod>(client, podResource, { transform: slimPod });
    this.nodeInformer = new Informer<Node>(client, nodeResource);

    const context = { cache: this.cache, queue: this.queue, schedulerName: options.schedulerName ?? defaultSchedulerName };
    this.nodeInformer.addEventHandler({
      add: (node) => handlers.onNodeAdd(context, node),
      update: (oldNode, newNode) => handlers.onNodeUpdate(context, oldNode, newNode),
      delete: (node) => handlers.onNodeDelete(context, node),
    });
    this.podInformer.addEventHandler({
      add: (pod) => handlers.onPodAdd(context, pod),
      update: (oldPod, newPod) => handlers.onPodUpdate(context, oldPod, newPod),
      delete: (pod) => handlers.onPodDelete(context, pod),
    });
  }

  async start(): Promise<void> {
    this.logger.info('Starting scheduler', { schedulerName: this.options.schedulerName ?? defaultSchedulerName });
    // Nodes first, so that the pods listed next find their nodes in the cache.
    this.nodeInformer.start();
    await this.nodeInformer.waitForSync();
    this.podInformer.start();
    await this.podInformer.waitForSync();
    this.logger.info('Scheduler caches synced', { nodes: this.cache.nodes().length, pods: this.podInformer.size, pending: this.queue.length.active });
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.queue.close();
    this.podInformer.stop();
    this.nodeInformer.stop();
    await this.loop;
    await Promise.allSettled([...this.bindings]);
    await this.recorder.flush();
    this.logger.info('Scheduler stopped');
  }

  private async run(): Promise<void> {
    let placed = 0;
    while (this.running) {
      const entry = await this.queue.pop();
      if (!entry) break;
      try {
        this.scheduleOne(entry);
      } catch (error) {
        // A bug in one decision must not stop scheduling for every other pod.
        this.logger.error('Scheduling attempt failed', { pod: entry.podInfo.key, err: error });
        this.queue.addBackoff(entry);
      }
      if (++placed % podsPerTurn === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Runs one scheduling cycle: decide, assume, and start the binding. */
  private scheduleOne(entry: QueuedPodInfo): void {
    const podInfo = entry.podInfo;
    const current = this.podInformer.get(podInfo.key);
    // Skip a pod deleted, replaced or bound since it was queued.
    if (!current || current.metadata.uid !== podInfo.pod.metadata.uid || current.spec.nodeName || current.metadata.deletionTimestamp) return;
    if (this.cache.isAssumed(podInfo.uid)) return;

    const cycle = this.queue.schedulingCycle;
    const result = this.algorithm.schedule(podInfo, this.cache.nodes());
    if (result.kind === 'unschedulable') {
      entry.unschedulablePlugins = result.rejectorPlugins;
      this.logger.info('Unable to schedule pod; no fit; waiting', { pod: podInfo.key, attempts: entry.attempts, message: result.message });
      this.reportFailure(current, 'Unschedulable', result.message);
      this.queue.addUnschedulable(entry, cycle);
      return;
    }

    this.cache.assumePod(podInfo, result.node);
    const binding = this.bind(entry, result.node);
    this.bindings.add(binding);
    void binding.finally(() => this.bindings.delete(binding));
  }

  private async bind(entry: QueuedPodInfo, nodeName: string): Promise<void> {
    const pod = entry.podInfo.pod;
    try {
      await bindPod(this.client, pod, nodeName);
    } catch (error) {
      this.cache.forgetPod(entry.podInfo.uid);
      // The forgotten pod's resources are free again for pods waiting on them.
      this.queue.moveOnEvent(handlers.assignedPodDeleteEvent);
      if (isNotFound(error) || isConflict(error)) {
        // Deleted, or bound by someone else meanwhile; the informer brings the outcome.
        this.logger.info('Binding rejected, dropping pod', { pod: entry.podInfo.key, node: nodeName, err: error });
        return;
      }
      this.logger.warn('Binding failed, retrying after backoff', { pod: entry.podInfo.key, node: nodeName, attempts: entry.attempts, err: error });
      this.reportFailure(pod, 'SchedulerError', `Binding rejected: ${error instanceof Error ? error.message : String(error)}`);
      if (this.running) this.queue.addBackoff(entry);
      return;
    }
    this.logger.debug('Bound pod', { pod: entry.podInfo.key, node: nodeName });
    this.recorder.event(podReference(pod), 'Normal', 'Scheduled', `Successfully assigned ${entry.podInfo.key} to ${nodeName}`);
  }

  /** Records FailedScheduling and sets the PodScheduled condition, both in the background. */
  private reportFailure(pod: ReadonlyDeep<Pod>, reason: UnscheduledReason, message: string): void {
    this.recorder.event(podReference(pod), 'Warning', 'FailedScheduling', message);
    updatePodScheduledCondition(this.client, pod, reason, message).catch((error: unknown) => {
      // A conflict means the pod changed; its update event brings it back to the queue if it matters.
      if (isConflict(error) || isNotFound(error)) this.logger.debug('Pod condition not updated', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, err: error });
      else this.logger.warn('Failed to update pod condition', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, err: error });
    });
  }
}

function podReference(pod: ReadonlyDeep<Pod>) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata };
}

/**
 * Starts a scheduler. Without leader election it resolves once its caches
 * are synced and it is placing pods. With it, the scheduler runs only while
 * it holds the kube-system/kube-scheduler Lease.
 */
export async function startScheduler(options: SchedulerOptions): Promise<RunningScheduler> {
  const run = async (): Promise<RunningScheduler> => {
    const scheduler = new Scheduler(options.client, options);
    await scheduler.start();
    return { stop: () => scheduler.stop() };
  };
  if (!options.leaderElect) return run();
  return runWhileLeading({ ...options, name: 'kube-scheduler', logger: options.logger ?? createLogger('scheduler') }, run);
}
