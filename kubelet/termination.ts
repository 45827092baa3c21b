// Stopping containers and sandboxes. A graceful kill runs the preStop hook,
// then the runtime sends SIGTERM, waits out what is left of the grace period
// and sends SIGKILL, as the kubelet's killContainer does.

import type { ReadonlyDeep } from '../api/informer.js';
import type { Logger } from '../api/log.js';
import type { Container, Pod } from '../api/types.js';
import type { ContainerStatus, RuntimeService } from '../runtime/cri.js';
import { containerFieldPath, type EventRecorder } from './events.js';
import type { ObservedPod, RuntimeCache } from './runtime-state.js';
import { errorMessage } from './errors.js';

/** After a preStop hook, a container still gets this many seconds of SIGTERM before SIGKILL, as upstream grants. */
const minimumGracePeriodSeconds = 2;

/** Grace given to containers of a pod the API no longer has, whose spec (and preStop hook) is unknown. */
const orphanGracePeriodSeconds = 1;

export interface TerminatorOptions {
  runtime: RuntimeService;
  cache: RuntimeCache;
  recorder: EventRecorder;
  logger: Logger;
}

export class Terminator {
  constructor(private readonly options: TerminatorOptions) {}

  /** Kills every running container of a pod at once, each with the grace period, then stops its sandboxes. */
  async killPod(pod: ReadonlyDeep<Pod>, observed: ObservedPod, gracePeriodSeconds: number): Promise<void> {
    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    const running = observed.containers.filter((container) => container.state === 'CONTAINER_RUNNING' || container.state === 'CONTAINER_CREATED');
    this.options.logger.info('Killing pod', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, uid: pod.metadata.uid, gracePeriodSeconds, containers: running.length });
    await Promise.all(running.map((container) => this.killContainer(pod, specs.find((spec) => spec.name === container.name), container,
      gracePeriodSeconds, `Stopping container ${container.name}`)));
    await this.stopSandboxes(observed);
  }

  /** Kills one container: Killing event, preStop hook, then SIGTERM and SIGKILL after the rest of the grace period. */
  async killContainer(pod: ReadonlyDeep<Pod>, spec: ReadonlyDeep<Container> | undefined, container: ContainerStatus,
    gracePeriodSeconds: number, message: string): Promise<void> {
    const logger = this.options.logger.with({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, uid: pod.metadata.uid, container: container.name });
    this.options.recorder.record(pod, 'Normal', 'Killing', message, containerFieldPath(pod, container.name));
    const started = Date.now();

    const preStop = spec?.lifecycle?.preStop;
    if (preStop !== undefined && gracePeriodSeconds > 0 && container.state === 'CONTAINER_RUNNING') {
      try {
        if (preStop.exec?.command) {
          const exitCode = await this.options.runtime.exec(container.id, { command: [...preStop.exec.command], timeoutSeconds: gracePeriodSeconds });
          if (exitCode !== 0) this.recordPreStopFailure(pod, container.name, `command ${JSON.stringify(preStop.exec.command)} exited with ${exitCode}`);
        } else if (preStop.sleep) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(preStop.sleep?.seconds ?? 0, gracePeriodSeconds) * 1000));
        }
      } catch (error) {
        // A failed hook does not stop the kill; it is reported, as upstream does.
        this.recordPreStopFailure(pod, container.name, errorMessage(error));
        logger.warn('PreStop hook failed', { err: error });
      }
    }

    const elapsedSeconds = (Date.now() - started) / 1000;
    const remaining = gracePeriodSeconds === 0 ? 0 : Math.max(minimumGracePeriodSeconds, Math.ceil(gracePeriodSeconds - elapsedSeconds));
    try {
      await this.options.runtime.stopContainer(container.id, remaining);
      logger.debug('Stopped container', { containerId: container.id, gracePeriodSeconds: remaining });
    } catch (error) {
      throw new Error(`stop container ${container.name} (${container.id})`, { cause: error });
    }
  }

  /** Kills the containers of a pod whose spec is gone, with a short grace period and no hooks. */
  async killOrphan(observed: ObservedPod): Promise<void> {
    const running = observed.containers.filter((container) => container.state === 'CONTAINER_RUNNING' || container.state === 'CONTAINER_CREATED');
    await Promise.all(running.map((container) => this.options.runtime.stopContainer(container.id, orphanGracePeriodSeconds)));
    await this.stopSandboxes(observed);
  }

  async stopSandboxes(observed: ObservedPod): Promise<void> {
    for (const sandbox of observed.sandboxes) {
      if (sandbox.state === 'SANDBOX_READY') await this.options.runtime.stopPodSandbox(sandbox.id);
    }
  }

  /** Removes the sandboxes of a pod, and with them its containers and logs. */
  async removePod(observed: ObservedPod): Promise<void> {
    for (const container of observed.containers) await this.options.runtime.removeContainer(container.id);
    for (const sandbox of observed.sandboxes) {
      await this.options.runtime.removePodSandbox(sandbox.id);
      this.options.cache.removeSandbox(sandbox.uid, sandbox.id);
    }
  }

  private recordPreStopFailure(pod: ReadonlyDeep<Pod>, containerName: string, message: string): void {
    this.options.recorder.record(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${message}`, containerFieldPath(pod, containerName));
  }
}
