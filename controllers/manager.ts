// The controller-manager: builds the shared informers and every controller,
// starts them once the caches are filled and, with leader election, only
// while it holds the kube-system/kube-controller-manager Lease.

import type { ApiClient } from '../api/client.js';
import { createLogger } from '../api/log.js';
import type { ControllerLoop } from './framework/controller.js';
import { DeploymentController } from './deployment/controller.js';
import { EventRecorder } from './framework/events.js';
import { SharedInformers } from './framework/informers.js';
import { runWhileLeading, type LeaderElectionSettings } from './framework/leaderelection.js';
import { GarbageCollector } from './garbagecollector/controller.js';
import { NamespaceController } from './namespace/controller.js';
import { NodeLifecycleController } from './nodelifecycle/controller.js';
import { ReplicaSetController } from './replicaset/controller.js';

export interface ControllerManagerOptions extends LeaderElectionSettings {
  client: ApiClient;
  /** Seconds without a node heartbeat before the node is marked unknown (40). */
  nodeMonitorGracePeriodSeconds?: number;
  /** Seconds pods stay on an unreachable or not-ready node without their own toleration (300). */
  defaultTolerationSeconds?: number;
  /** Concurrent reconciles per controller (5 for ReplicaSets and Deployments, as upstream; others get 2). */
  workers?: number;
}

export interface ControllerManager {
  stop(): Promise<void>;
}

const logger = createLogger('controller-manager');

/** Starts every controller on shared informers; the returned stop() ends them and the informers. */
async function runControllers(options: ControllerManagerOptions): Promise<ControllerManager> {
  const { client } = options;
  const informers = new SharedInformers(client);
  const recorders: EventRecorder[] = [];
  const recorder = (component: string) => {
    const created = new EventRecorder({ client, component });
    recorders.push(created);
    return created;
  };
  const workers = options.workers ?? 5;
  const light = Math.max(1, Math.min(2, workers));

  const loops: ControllerLoop[] = [
    new ReplicaSetController({ client, informers, recorder: recorder('replicaset-controller'), workers }).loop,
    new DeploymentController({ client, informers, recorder: recorder('deployment-controller'), workers }).loop,
    new GarbageCollector({ client, informers, workers: light }).loop,
    new NamespaceController({ client, informers, workers: light }).loop,
    new NodeLifecycleController({
      client, informers, recorder: recorder('node-controller'), workers: light,
      nodeMonitorGracePeriodSeconds: options.nodeMonitorGracePeriodSeconds,
      defaultTolerationSeconds: options.defaultTolerationSeconds,
    }).loop,
  ];

  informers.start();
  await informers.waitForSync();
  logger.info('Caches are synced, starting controllers');
  for (const loop of loops) loop.start();

  return {
    stop: async () => {
      informers.stop();
      await Promise.all(loops.map((loop) => loop.stop()));
      await Promise.all(recorders.map((each) => each.flush()));
    },
  };
}

/**
 * Starts the controller-manager. With leaderElect, the controllers run only
 * while this instance holds the leader Lease, so several managers can run
 * side by side and one takes over when the leader stops.
 */
export async function startControllerManager(options: ControllerManagerOptions): Promise<ControllerManager> {
  if (!options.leaderElect) {
    logger.info('Starting controller-manager without leader election');
    return runControllers(options);
  }

  return runWhileLeading({ ...options, name: 'kube-controller-manager', logger }, () => runControllers(options));
}
