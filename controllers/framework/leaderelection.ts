// Leader election on a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection package does it. The leader renews the Lease every retry
// period. Another candidate takes it over only after it has seen the same
// renewTime for a whole lease duration. Expiry is judged on the candidate's
// own clock from when it observed the record, so clock skew does not matter.
// A leader that cannot renew within the renew deadline stops leading.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ApiClient, isAlreadyExists, isConflict, isNotFound } from '../../api/client.js';
import { createLogger, type Logger } from '../../api/log.js';
import { leases } from '../../api/resources.js';
import type { Lease } from '../../api/types.js';
import { EventRecorder } from './events.js';

export interface LeaderElectionOptions {
  client: ApiClient;
  identity: string;
  namespace?: string;
  name?: string;
  /** How long a Lease stays valid after its last renewal (15 s, as kube-controller-manager). */
  leaseDurationSeconds?: number;
  /** How long a leader keeps trying to renew before it gives up leading (10 s). */
  renewDeadlineMs?: number;
  /** Interval between attempts to acquire or renew (2 s). */
  retryPeriodMs?: number;
  onStartedLeading(): Promise<void> | void;
  /** Runs whenever leading ends: on stop() and when the Lease is lost. */
  onStoppedLeading(): Promise<void> | void;
  /** Runs before onStoppedLeading when the Lease is lost rather than given up by stop(). */
  onLostLeadership?(): Promise<void> | void;
  now?: () => number;
  logger?: Logger;
}

/** Formats a time as metav1.MicroTime, with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export class LeaderElector {
  private readonly client: ApiClient;
  private readonly identity: string;
  private readonly namespace: string;
  private readonly name: string;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private observedRecord = '';
  private observedAt = 0;
  private lastRenewal = 0;
  private leading = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.client = options.client;
    this.identity = options.identity;
    this.namespace = options.namespace ?? 'kube-system';
    this.name = options.name ?? 'kube-controller-manager';
    this.leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? createLogger('leader-election', { lease: `${this.namespace}/${this.name}`, identity: this.identity });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.logger.info('Attempting to acquire leader lease');
    this.loop = this.run();
  }

  /** Stops campaigning; a leader stops leading and releases the Lease so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      await this.stopLeading();
      await this.release();
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let renewed = false;
      try {
        renewed = await this.tryAcquireOrRenew(this.client.withTimeout(this.requestTimeoutMs()));
      } catch (error) {
        this.logger.warn('Failed to acquire or renew leader lease', { err: error });
      }
      if (renewed) {
        this.lastRenewal = this.now();
        if (!this.leading) {
          this.leading = true;
          this.logger.info('Acquired leader lease');
          await this.options.onStartedLeading();
        }
      } else if (this.leading && this.now() - this.lastRenewal > this.renewDeadlineMs) {
        this.logger.error('Failed to renew leader lease within the renew deadline, stopping leading', { renewDeadlineMs: this.renewDeadlineMs });
        // First, because stopping the component may wait on requests that hang as the Lease requests did.
        await this.options.onLostLeadership?.();
        await this.stopLeading();
      }
      await this.sleep(this.retryPeriodMs);
    }
  }

  /**
   * Returns the time each Lease request may take: half of what is left of the
   * renew deadline while leading. A GET and a PUT that both hang then still end
   * before the deadline, so the leader steps down before its Lease expires.
   */
  private requestTimeoutMs(): number {
    const left = this.leading ? this.renewDeadlineMs - (this.now() - this.lastRenewal) : this.renewDeadlineMs;
    return Math.max(250, Math.floor(left / 2));
  }

  private async stopLeading(): Promise<void> {
    this.leading = false;
    await this.options.onStoppedLeading();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Returns whether this candidate holds the Lease after the attempt. */
  private async tryAcquireOrRenew(client: ApiClient): Promise<boolean> {
    const now = this.now();
    let lease: Lease;
    try {
      lease = await client.get<Lease>(leases, this.namespace, this.name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return this.create(client, now);
    }

    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}/${spec.renewTime ?? ''}/${spec.leaseDurationSeconds ?? ''}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now;
    }
    const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== this.identity;
    const expired = this.observedAt + (spec.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000 < now;
    if (heldByOther && !expired) return false;

    const transitions = spec.leaseTransitions ?? 0;
    lease.spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: spec.holderIdentity === this.identity ? spec.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: spec.holderIdentity === this.identity ? transitions : transitions + 1,
    };
    try {
      await client.update<Lease>(leases, lease);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  private async create(client: ApiClient, now: number): Promise<boolean> {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
    try {
      await client.create<Lease>(leases, lease);
      return true;
    } catch (error) {
      if (isAlreadyExists(error) || isConflict(error)) return false;
      throw error;
    }
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.client.get<Lease>(leases, this.namespace, this.name);
      if (lease.spec?.holderIdentity !== this.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) };
      await this.client.update<Lease>(leases, lease);
      this.logger.info('Released leader lease');
    } catch (error) {
      // The Lease simply expires after its duration instead.
      this.logger.warn('Failed to release leader lease', { err: error });
    }
  }
}

/** Leader election settings, shared by the options of the components that can elect a leader. */
export interface LeaderElectionSettings {
  /** Whether to run only while holding the component's Lease in kube-system, so that a standby can take over. */
  leaderElect?: boolean;
  /** The holder identity in the Lease. By default, the host name plus a random suffix. */
  identity?: string;
  /** Runs before the component stops when the Lease is lost, rather than given up by stop(). The commands exit here. */
  onLostLeadership?(): void;
  /** Leader election timings, shortened by tests. */
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface LeaderElectedOptions extends Omit<LeaderElectionSettings, 'leaderElect'> {
  client: ApiClient;
  /** The Lease's name in kube-system, such as kube-scheduler. */
  name: string;
  logger: Logger;
}

/** A component that leader election starts and stops. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Runs a component only while this process holds the named Lease: start()
 * runs on acquiring it, and stop() on losing it, so that several instances
 * can run side by side and one takes over when the leader stops.
 */
export function runWhileLeading(options: LeaderElectedOptions, start: () => Promise<Stoppable>): Stoppable {
  const identity = options.identity ?? `${hostname()}_${randomUUID()}`;
  let running: Promise<Stoppable> | undefined;
  // Like client-go's resource locks, record each change of leader as an event on the Lease.
  const recorder = new EventRecorder({ client: options.client, component: options.name });
  const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: options.name, namespace: 'kube-system' } };
  const elector = new LeaderElector({
    client: options.client,
    identity,
    name: options.name,
    leaseDurationSeconds: options.leaseDurationSeconds,
    renewDeadlineMs: options.renewDeadlineMs,
    retryPeriodMs: options.retryPeriodMs,
    onStartedLeading: () => {
      recorder.event(lease, 'Normal', 'LeaderElection', `${identity} became leader`);
      running = start();
    },
    onStoppedLeading: async () => {
      const current = running;
      running = undefined;
      await (await current)?.stop();
      recorder.event(lease, 'Normal', 'LeaderElection', `${identity} stopped leading`);
      options.logger.info('Stopped leading', { lease: `kube-system/${options.name}`, identity });
    },
    onLostLeadership: options.onLostLeadership,
  });
  elector.start();
  return {
    stop: async () => {
      await elector.stop();
      await (await running)?.stop();
      await recorder.flush();
    },
  };
}

/**
 * Ends the process after the leader Lease is lost, as kube-scheduler and
 * kube-controller-manager do: requests that the old leader still has in
 * flight die with it, instead of landing after a new leader has taken over.
 * A supervisor, such as systemd, starts it again as a candidate.
 */
export function exitOnLostLeadership(component: string): never {
  createLogger(component).error('Leader election lost, exiting');
  process.exit(1);
}
