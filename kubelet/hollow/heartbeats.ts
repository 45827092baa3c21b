// The heartbeats of hollow nodes, as the kubelet sends them: each node
// renews its Lease every 10 s and reports its unchanged status every 5
// minutes. The requests of all the nodes are spread over each period, so
// that thousands of nodes do not write at the same moment.

import { patchContentTypes, type ApiClient } from '../../api/client.js';
import type { Logger } from '../../api/log.js';
import { nodes as nodeResource, resourcePath } from '../../api/resources.js';
import { nodeConditions } from './node.js';
import type { HollowNodeState } from './state.js';

/** Heartbeats run on ticks of this length, a slice of the nodes per tick, so that the requests spread over each period. */
const heartbeatTickMs = 100;

export interface NodeHeartbeatsOptions {
  client: ApiClient;
  logger: Logger;
  nodes: HollowNodeState[];
  leaseRenewIntervalMs?: number;
  nodeStatusReportIntervalMs?: number;
  /** Keeps a request in flight known, so that stopping can wait for it. */
  track(work: Promise<void>): void;
}

export class NodeHeartbeats {
  /** Lease renewals that failed since the last summary, and the last error, logged once a period rather than once a node. */
  private leaseFailures = 0;
  private lastLeaseError: unknown;
  private leaseTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NodeHeartbeatsOptions) {}

  /** Starts the two heartbeats of each node: Lease renewals, and node status reports. */
  start(): void {
    this.leaseTimer = this.spreadOverPeriod(this.options.leaseRenewIntervalMs ?? 10_000, () => {
      if (this.leaseFailures === 0) return;
      this.options.logger.warn('Failed to renew node leases, retrying next period', { failed: this.leaseFailures, err: this.lastLeaseError });
      this.leaseFailures = 0;
    }, (node) => {
      // Skip a node whose previous renewal is still waiting for the apiserver.
      if (!node.renewing) this.options.track(this.renewLease(node));
    });
    // Unchanged node status is still reported every 5 minutes, as the kubelet's nodeStatusReportFrequency, so
    // that its heartbeat times stay recent.
    this.statusTimer = this.spreadOverPeriod(this.options.nodeStatusReportIntervalMs ?? 300_000, () => undefined, (node) => {
      if (!node.reportingStatus) this.options.track(this.reportStatus(node));
    });
  }

  /**
   * Runs action for every node once a period, a slice of the nodes on each
   * tick so that the requests spread over the period, and periodEnd when
   * each period begins again.
   */
  private spreadOverPeriod(periodMs: number, periodEnd: () => void, action: (node: HollowNodeState) => void): NodeJS.Timeout {
    const slots = Math.max(1, Math.round(periodMs / heartbeatTickMs));
    const states = this.options.nodes;
    let tick = 0;
    const timer = setInterval(() => {
      const slot = tick++ % slots;
      if (slot === 0) periodEnd();
      for (let i = slot; i < states.length; i += slots) action(states[i]);
    }, heartbeatTickMs);
    timer.unref();
    return timer;
  }

  /** Writes the node's conditions with a new heartbeat time. A failure waits for the next period, as a lease renewal does. */
  private async reportStatus(node: HollowNodeState): Promise<void> {
    node.reportingStatus = true;
    try {
      const conditions = nodeConditions(new Date().toISOString().replace(/\.\d+Z$/, 'Z'), node.registeredAt);
      await this.options.client.send('PATCH', resourcePath(nodeResource, undefined, node.name, 'status'), { status: { conditions } }, patchContentTypes.merge);
    } catch (error) {
      this.options.logger.debug('Failed to report node status, retrying next period', { node: node.name, err: error });
    } finally {
      node.reportingStatus = false;
    }
  }

  /** Renews one node's Lease. A failure is counted and left to the next period. */
  async renewLease(node: HollowNodeState): Promise<void> {
    node.renewing = true;
    try {
      await node.lease.renew();
    } catch (error) {
      this.leaseFailures++;
      this.lastLeaseError = error;
      this.options.logger.debug('Failed to renew node lease, retrying next period', { node: node.name, err: error });
    } finally {
      node.renewing = false;
    }
  }

  stop(): void {
    clearInterval(this.leaseTimer);
    clearInterval(this.statusTimer);
  }
}
