// Registration of this machine as a Node and the reports of its status:
// capacity and allocatable, system info, addresses, and the four conditions
// with the kubelet's reasons. Status is checked every 10 s and written when it
// changed or a minute has passed, so the node controller can tell the node is alive.

import { statfsSync } from 'node:fs';
import os from 'node:os';
import { isAlreadyExists, isConflict, type ApiClient } from '../api/client.js';
import type { Logger } from '../api/log.js';
import { formatBytes } from '../api/quantity.js';
import { nodes } from '../api/resources.js';
import type { Node, NodeCondition, NodeStatus, NodeSystemInfo } from '../api/types.js';
import type { RuntimeService } from '../runtime/cri.js';
import { availableMemoryBytes, diskAvailableFraction, goArch, pidUsageFraction, systemInfo } from './host.js';
import { rfc3339 } from './status.js';

/** Re-exported for the hollow nodes, which report the same version. */
export { kubeletVersion } from './version.js';

/** Held back from allocatable for the system and the kubelet itself, as --system-reserved would. */
const reservedMillicores = 100;
const reservedMemoryBytes = 256 * 2 ** 20;

/**
 * Pressure thresholds. Memory and disk match upstream's default hard eviction
 * thresholds (memory.available<100Mi, nodefs.available<10%). Upstream has no
 * default for pids, so PIDPressure uses 90% of pid_max, a chosen value.
 */
const memoryPressureBytes = 100 * 2 ** 20;
const diskPressureFraction = 0.10;
const pidPressureFraction = 0.90;

export interface NodeStatusOptions {
  client: ApiClient;
  runtime: RuntimeService;
  nodeName: string;
  address: string;
  kubeletPort: number;
  podCIDR?: string;
  maxPods: number;
  dataDir: string;
  logger: Logger;
  /** How often status is checked; 10 s by default. */
  updateIntervalMs?: number;
  /** Maximum time between two writes of an unchanged status; 60 s by default. */
  reportIntervalMs?: number;
}

export class NodeStatusReporter {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastReported = '';
  private lastReportAt = 0;
  private nodeInfo: NodeSystemInfo | undefined;
  private conditions: NodeCondition[] = [];
  node: Node | undefined;

  constructor(private readonly options: NodeStatusOptions) {}

  /** Creates the Node, or takes over an existing one of the same name, and writes its first status. */
  async register(): Promise<Node> {
    const { client, nodeName, logger } = this.options;
    const runtimeVersion = await this.options.runtime.version();
    this.nodeInfo = systemInfo(`${runtimeVersion.runtimeName}://${runtimeVersion.runtimeVersion}`);
    const desired = this.desiredNode();
    try {
      this.node = await client.create(nodes, desired);
      logger.info('Registered node', { node: nodeName });
    } catch (error) {
      if (!isAlreadyExists(error)) throw new Error(`register node ${nodeName}`, { cause: error });
      const existing = await client.get<Node>(nodes, undefined, nodeName);
      const patch = {
        metadata: { labels: desired.metadata.labels },
        spec: existing.spec.podCIDR || !desired.spec.podCIDR ? {} : { podCIDR: desired.spec.podCIDR, podCIDRs: desired.spec.podCIDRs },
      };
      this.node = await client.patch<Node>(nodes, undefined, nodeName, patch);
      logger.info('Node already registered, taking it over', { node: nodeName });
    }
    await this.update(true);
    return this.node;
  }

  start(): void {
    const interval = this.options.updateIntervalMs ?? 10_000;
    const tick = async () => {
      try {
        await this.update(false);
      } catch (error) {
        if (!this.stopped) this.options.logger.warn('Failed to update node status, retrying', { node: this.options.nodeName, err: error });
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), interval);
    };
    this.timer = setTimeout(() => void tick(), interval);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Writes the status when it changed, when forced, or when the report interval has passed. */
  async update(force: boolean): Promise<void> {
    const status = this.computeStatus();
    const fingerprint = JSON.stringify({ ...status, conditions: status.conditions?.map(({ lastHeartbeatTime: _, ...rest }) => rest) });
    const due = Date.now() - this.lastReportAt >= (this.options.reportIntervalMs ?? 60_000);
    if (!force && !due && fingerprint === this.lastReported) return;

    for (let attempt = 0; ; attempt++) {
      try {
        const current = await this.options.client.get<Node>(nodes, undefined, this.options.nodeName);
        this.node = await this.options.client.updateStatus(nodes, { ...current, status: { ...current.status, ...status } });
        break;
      } catch (error) {
        if (!isConflict(error) || attempt >= 5) throw new Error(`update status of node ${this.options.nodeName}`, { cause: error });
      }
    }
    this.lastReported = fingerprint;
    this.lastReportAt = Date.now();
  }

  private desiredNode(): Node {
    const { nodeName, podCIDR } = this.options;
    const arch = goArch();
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: nodeName,
        labels: {
          'kubernetes.io/hostname': nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': arch,
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': arch,
        },
      },
      spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
    };
  }

  private computeStatus(): NodeStatus {
    const capacity = this.capacity();
    const cpuMillicores = os.cpus().length * 1000;
    const memoryBytes = Math.floor(os.totalmem() / 1024) * 1024;
    return {
      capacity,
      allocatable: {
        ...capacity,
        cpu: `${Math.max(0, cpuMillicores - reservedMillicores)}m`,
        memory: formatBytes(Math.max(0, memoryBytes - reservedMemoryBytes)),
        ...(capacity['ephemeral-storage'] ? { 'ephemeral-storage': String(Math.floor(Number(capacity['ephemeral-storage']) * (1 - diskPressureFraction))) } : {}),
      },
      conditions: this.computeConditions(),
      addresses: [
        { type: 'InternalIP', address: this.options.address },
        { type: 'Hostname', address: os.hostname() },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.options.kubeletPort } },
      nodeInfo: this.nodeInfo,
    };
  }

  private capacity(): Record<string, string> {
    const capacity: Record<string, string> = {
      cpu: String(os.cpus().length),
      memory: formatBytes(Math.floor(os.totalmem() / 1024) * 1024),
      pods: String(this.options.maxPods),
    };
    try {
      const fs = statfsSync(this.options.dataDir);
      capacity['ephemeral-storage'] = String(fs.blocks * fs.bsize);
    } catch (error) {
      this.options.logger.debug('Cannot read the data dir file system size', { dataDir: this.options.dataDir, err: error });
    }
    return capacity;
  }

  private computeConditions(): NodeCondition[] {
    const now = rfc3339(Date.now());
    const memoryPressure = availableMemoryBytes() < memoryPressureBytes;
    const diskPressure = diskAvailableFraction(this.options.dataDir) < diskPressureFraction;
    const pidPressure = pidUsageFraction() > pidPressureFraction;
    const next: NodeCondition[] = [
      { type: 'MemoryPressure', status: memoryPressure ? 'True' : 'False', ...(memoryPressure
        ? { reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' }
        : { reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' }) },
      { type: 'DiskPressure', status: diskPressure ? 'True' : 'False', ...(diskPressure
        ? { reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' }
        : { reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' }) },
      { type: 'PIDPressure', status: pidPressure ? 'True' : 'False', ...(pidPressure
        ? { reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' }
        : { reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' }) },
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ];
    this.conditions = next.map((condition) => {
      const old = this.conditions.find((entry) => entry.type === condition.type);
      const lastTransitionTime = old !== undefined && old.status === condition.status ? old.lastTransitionTime : now;
      return { ...condition, lastHeartbeatTime: now, lastTransitionTime };
    });
    return this.conditions;
  }
}
