// Runs a worker per probe of every running container and keeps their results.
// Readiness starts as failed and liveness as passed. A startup probe keeps both
// from running until it passes. A result flips only after successThreshold successes
// or failureThreshold failures in a row, and each flip triggers a pod sync.

import type { ReadonlyDeep } from '../api/informer.js';
import type { Logger } from '../api/log.js';
import type { Container, Pod, Probe } from '../api/types.js';
import type { RuntimeService } from '../runtime/cri.js';
import { containerFieldPath, type EventRecorder } from './events.js';
import { runProbe } from './prober.js';
import { readySandbox, type ObservedPod } from './runtime-state.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

const probeTitles: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

interface Worker {
  uid: string;
  containerId: string;
  kind: ProbeKind;
  stop(): void;
}

export interface ProbeManagerOptions {
  runtime: RuntimeService;
  recorder: EventRecorder;
  logger: Logger;
  /** Called when a result flips, with the pod's uid. */
  onChange(uid: string): void;
}

export class ProbeManager {
  private readonly workers = new Map<string, Worker>();
  private readonly results = new Map<string, boolean>();

  constructor(private readonly options: ProbeManagerOptions) {}

  /** Starts workers for the running containers of a pod and stops those of containers that are gone. */
  syncPod(pod: ReadonlyDeep<Pod>, observed: ObservedPod): void {
    const uid = pod.metadata.uid ?? '';
    const podIP = readySandbox(observed)?.ip ?? '';
    const expected = new Set<string>();
    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    const terminating = pod.metadata.deletionTimestamp !== undefined;

    for (const container of observed.containers) {
      if (container.state !== 'CONTAINER_RUNNING' || terminating) continue;
      const spec = specs.find((entry) => entry.name === container.name);
      if (spec === undefined) continue;
      for (const [kind, probe] of probesOf(spec)) {
        const key = `${container.id}/${kind}`;
        expected.add(key);
        if (!this.workers.has(key)) this.startWorker({ pod, uid, containerId: container.id, spec, kind, probe, podIP });
      }
    }

    for (const [key, worker] of this.workers) {
      if (worker.uid === uid && !expected.has(key)) this.stopWorker(key, worker);
    }
  }

  removePod(uid: string): void {
    for (const [key, worker] of this.workers) if (worker.uid === uid) this.stopWorker(key, worker);
  }

  stopAll(): void {
    for (const [key, worker] of this.workers) this.stopWorker(key, worker);
  }

  isStarted(containerId: string, spec: ReadonlyDeep<Container> | undefined): boolean {
    return spec?.startupProbe === undefined || this.results.get(`${containerId}/startup`) === true;
  }

  isReady(containerId: string, spec: ReadonlyDeep<Container> | undefined): boolean {
    if (!this.isStarted(containerId, spec)) return false;
    return spec?.readinessProbe === undefined || this.results.get(`${containerId}/readiness`) === true;
  }

  /** Returns which probe demands a restart of the container, if one does. */
  failedProbe(containerId: string): 'liveness' | 'startup' | undefined {
    if (this.results.get(`${containerId}/startup`) === false) return 'startup';
    if (this.results.get(`${containerId}/liveness`) === false) return 'liveness';
    return undefined;
  }

  private startWorker(options: { pod: ReadonlyDeep<Pod>; uid: string; containerId: string; spec: ReadonlyDeep<Container>; kind: ProbeKind; probe: ReadonlyDeep<Probe>; podIP: string }): void {
    const { pod, uid, containerId, spec, kind, probe, podIP } = options;
    const key = `${containerId}/${kind}`;
    const periodMs = (probe.periodSeconds ?? 10) * 1000;
    const successThreshold = probe.successThreshold ?? 1;
    const failureThreshold = probe.failureThreshold ?? 3;
    let successes = 0;
    let failures = 0;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;

    const setResult = (value: boolean) => {
      if (this.results.get(key) === value) return;
      this.results.set(key, value);
      this.options.onChange(uid);
    };

    const tick = async () => {
      if (stopped) return;
      // Liveness and readiness wait for the startup probe, which stops once it has passed.
      const waitsForStartup = kind !== 'startup' && spec.startupProbe !== undefined && this.results.get(`${containerId}/startup`) !== true;
      const startupDone = kind === 'startup' && this.results.get(key) === true;
      if (!waitsForStartup && !startupDone) {
        const result = await runProbe(this.options.runtime, probe, { containerId, podIP, container: spec });
        if (stopped) return;
        if (result.success) {
          failures = 0;
          if (++successes >= successThreshold) setResult(true);
        } else {
          successes = 0;
          failures++;
          this.options.recorder.record(pod, 'Warning', 'Unhealthy', `${probeTitles[kind]} probe failed: ${result.output.trim()}`, containerFieldPath(pod, spec.name));
          if (failures >= failureThreshold) setResult(false);
        }
      }
      timer = setTimeout(() => void tick(), periodMs);
    };

    if (kind === 'readiness') this.results.set(key, false);
    timer = setTimeout(() => void tick(), (probe.initialDelaySeconds ?? 0) * 1000);
    this.workers.set(key, {
      uid, containerId, kind,
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    });
    this.options.logger.debug('Started probe worker', { uid, container: spec.name, containerId, probe: kind });
  }

  private stopWorker(key: string, worker: Worker): void {
    worker.stop();
    this.workers.delete(key);
    this.results.delete(key);
  }
}

function probesOf(spec: ReadonlyDeep<Container>): [ProbeKind, ReadonlyDeep<Probe>][] {
  const probes: [ProbeKind, ReadonlyDeep<Probe> | undefined][] = [
    ['startup', spec.startupProbe], ['liveness', spec.livenessProbe], ['readiness', spec.readinessProbe],
  ];
  return probes.filter((entry): entry is [ProbeKind, ReadonlyDeep<Probe>] => entry[1] !== undefined);
}
