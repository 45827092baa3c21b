// The node heartbeat: a Lease in kube-node-lease named after the node, whose
// renewTime the kubelet moves forward every 10 s. The node lifecycle
// controller reads it to tell a live node from a dead one.

import { isAlreadyExists, isConflict, isNotFound, type ApiClient } from '../api/client.js';
import type { Logger } from '../api/log.js';
import { leases, namespaces } from '../api/resources.js';
import type { Lease, Namespace, Node } from '../api/types.js';

export const nodeLeaseNamespace = 'kube-node-lease';
const leaseDurationSeconds = 40;

/** Formats metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(milliseconds: number): string {
  return new Date(milliseconds).toISOString().replace(/Z$/, '000Z');
}

export interface NodeLeaseOptions {
  client: ApiClient;
  nodeName: string;
  logger: Logger;
  /** The registered Node, which owns the Lease so that deleting the Node deletes it. */
  node(): Node | undefined;
  renewIntervalMs?: number;
}

export class NodeLease {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lease: Lease | undefined;

  constructor(private readonly options: NodeLeaseOptions) {}

  start(): void {
    const interval = this.options.renewIntervalMs ?? 10_000;
    const tick = async () => {
      try {
        await this.renew();
      } catch (error) {
        if (!this.stopped) this.options.logger.warn('Failed to renew node lease, retrying', { node: this.options.nodeName, err: error });
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), interval);
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Moves renewTime to now, creating the Lease (and its namespace) when missing. */
  async renew(): Promise<void> {
    const { client, nodeName } = this.options;
    const now = microTime(Date.now());
    if (this.lease !== undefined) {
      try {
        this.lease = await client.update(leases, { ...this.lease, spec: { ...this.lease.spec, renewTime: now } });
        return;
      } catch (error) {
        if (!isConflict(error) && !isNotFound(error)) throw error;
        this.lease = undefined; // Someone else wrote it: read it again below.
      }
    }

    try {
      const current = await client.get<Lease>(leases, nodeLeaseNamespace, nodeName);
      this.lease = await client.update(leases, { ...current, spec: { ...current.spec, holderIdentity: nodeName, leaseDurationSeconds, renewTime: now } });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.lease = await this.createLease(now);
      this.options.logger.info('Created node lease', { node: nodeName });
    }
  }

  private newLease(now: string): Lease {
    const node = this.options.node();
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.options.nodeName,
        namespace: nodeLeaseNamespace,
        ...(node?.metadata.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.options.nodeName, uid: node.metadata.uid }] } : {}),
      },
      spec: { holderIdentity: this.options.nodeName, leaseDurationSeconds, renewTime: now },
    };
  }

  /**
   * Creates the Lease. The apiserver makes kube-node-lease at start, so the
   * namespace is created here only when the first create finds it missing.
   */
  private async createLease(now: string): Promise<Lease> {
    const { client } = this.options;
    try {
      return await client.create(leases, this.newLease(now));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.ensureNamespace();
      return client.create(leases, this.newLease(now));
    }
  }

  /** Creates kube-node-lease if the apiserver has not, so the heartbeat works on a fresh cluster. */
  private async ensureNamespace(): Promise<void> {
    const namespace: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: nodeLeaseNamespace } };
    await this.options.client.create(namespaces, namespace).catch((error: unknown) => {
      if (!isAlreadyExists(error)) throw error;
    });
  }
}
