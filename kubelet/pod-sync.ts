// The kubelet's SyncPod. It compares a pod's spec with the runtime's state and
// takes the next steps in order: the sandbox, then the init containers one
// after another, then the containers. Dead containers restart as restartPolicy
// sets, with a back-off when they crash in a loop. It then writes the status.

import type { ApiClient } from '../api/client.js';
import type { ReadonlyDeep } from '../api/informer.js';
import type { Logger } from '../api/log.js';
import type { Container, Pod } from '../api/types.js';
import type { ContainerStatus, ImageService, PodSandboxStatus, RuntimeService } from '../runtime/cri.js';
import { Backoff, formatDuration } from './backoff.js';
import { containerConfig, sandboxConfig } from './container-config.js';
import { containerFieldPath, type EventRecorder } from './events.js';
import type { ProbeManager } from './probe-manager.js';
import { ImageStatusCache } from './image-cache.js';
import { removePodDirectory } from './pod-directories.js';
import { instancesOf, readySandbox, type ObservedPod, type RuntimeCache } from './runtime-state.js';
import { generatePodStatus, type Waiting } from './status.js';
import type { StatusManager } from './status-manager.js';
import { Terminator } from './termination.js';
import { errorMessage } from './errors.js';

export interface PodSyncerOptions {
  runtime: RuntimeService & ImageService;
  cache: RuntimeCache;
  client: ApiClient;
  recorder: EventRecorder;
  statusManager: StatusManager;
  probes: ProbeManager;
  nodeName: string;
  hostIP: string;
  /** Root of the per-pod log directories. */
  logRoot: string;
  crashBackoff: Backoff;
  imageBackoff: Backoff;
  logger: Logger;
}

/** How many instances of each container to keep: the current one and the previous one, for `kubectl logs --previous`. */
const keptInstances = 2;

/** Maximum delay before the sync that shows ImagePullBackOff after an ErrImagePull. A short back-off makes it shorter. */
const imageErrorResyncMs = 1000;

type PodView = ReadonlyDeep<Pod>;

/** State of one sync of one pod. Syncs of different pods run concurrently, so it is never shared. */
interface SyncContext {
  waiting: Map<string, Waiting>;
  /** Whether the sync changed the runtime's state, which then needs reading again. */
  changed: boolean;
}

export class PodSyncer {
  /** Waiting reason of each container that is not running, by pod uid and container name. */
  private readonly waiting = new Map<string, Map<string, Waiting>>();
  private readonly pullFailures = new Map<string, number>();
  private readonly images: ImageStatusCache;
  readonly terminator: Terminator;

  constructor(private readonly options: PodSyncerOptions) {
    this.terminator = new Terminator({ runtime: options.runtime, cache: options.cache, recorder: options.recorder, logger: options.logger });
    this.images = new ImageStatusCache(options.runtime);
  }

  /** Syncs a pod; returns milliseconds until it needs another sync, or undefined when only a change should trigger one. */
  async syncPod(pod: PodView): Promise<number | undefined> {
    const uid = pod.metadata.uid ?? '';
    const logger = this.podLogger(pod);
    let observed = await this.options.cache.observePod(uid);
    const previousPhase = this.options.statusManager.previous(pod)?.phase;

    let requeue: number | undefined;
    if (previousPhase === 'Succeeded' || previousPhase === 'Failed') {
      await this.terminator.stopSandboxes(observed);
    } else {
      const context: SyncContext = { waiting: new Map(), changed: false };
      this.waiting.set(uid, context.waiting);
      try {
        requeue = await this.applyActions(pod, observed, context, logger);
      } catch (error) {
        // A pod that cannot be set up still reports its containers as waiting, so it never sits without a status.
        await this.writeStatusAfterFailure(pod, uid);
        throw error;
      }
      if (context.changed) {
        observed = await this.options.cache.observePod(uid);
        await this.removeOldInstances(pod, observed);
      }
    }

    this.options.probes.syncPod(pod, observed);
    const status = this.generateStatus(pod, observed);
    await this.options.statusManager.setPodStatus(pod, status);

    if ((status.phase === 'Succeeded' || status.phase === 'Failed') && previousPhase !== status.phase) {
      logger.info('Pod finished', { phase: status.phase });
      this.options.probes.removePod(uid);
      await this.terminator.stopSandboxes(observed);
    }
    return requeue;
  }

  private async writeStatusAfterFailure(pod: PodView, uid: string): Promise<void> {
    try {
      const observed = await this.options.cache.observePod(uid);
      await this.options.statusManager.setPodStatus(pod, this.generateStatus(pod, observed));
    } catch (error) {
      // The worker retries and logs the sync's own error, so this one is only logged here.
      this.podLogger(pod).warn('Failed to write the status of a pod that failed to sync', { err: error });
    }
  }

  /** Kills a pod whose deletion was requested, gracefully, and removes what the runtime holds for it. */
  async terminatePod(pod: PodView): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    this.options.probes.removePod(uid);
    const observed = await this.options.cache.observePod(uid);
    const gracePeriodSeconds = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    await this.terminator.killPod(pod, observed, gracePeriodSeconds);

    // Report the containers terminated before they are removed: a finalizer may keep the pod object long after.
    if (observed.containers.length > 0) {
      this.waiting.delete(uid);
      const killed = await this.options.cache.observePod(uid);
      await this.options.statusManager.setPodStatus(pod, this.generateStatus(pod, killed, true));
    }
    await this.terminator.removePod(observed);
    this.forget(uid);
  }

  /** Removes the sandboxes, containers and directory of a pod the API no longer has. */
  async cleanupOrphan(uid: string): Promise<void> {
    this.options.probes.removePod(uid);
    const observed = await this.options.cache.observePod(uid);
    if (observed.sandboxes.length > 0) this.options.logger.info('Removing pod that no longer exists', { uid, sandboxes: observed.sandboxes.length });
    await this.terminator.killOrphan(observed);
    await this.terminator.removePod(observed);
    await removePodDirectory(this.options.logRoot, uid, this.options.logger);
    this.forget(uid);
  }

  private forget(uid: string): void {
    this.waiting.delete(uid);
    this.options.statusManager.forget(uid);
    this.options.crashBackoff.resetPrefix(`${uid}/`);
    this.options.imageBackoff.resetPrefix(`${uid}/`);
    for (const key of this.pullFailures.keys()) if (key.startsWith(`${uid}/`)) this.pullFailures.delete(key);
  }

  private generateStatus(pod: PodView, observed: ObservedPod, terminal = false) {
    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    const specOf = (id: string) => specs.find((spec) => spec.name === observed.containers.find((container) => container.id === id)?.name);
    return generatePodStatus({
      pod,
      observed,
      previous: this.options.statusManager.previous(pod),
      waiting: this.waiting.get(pod.metadata.uid ?? '') ?? new Map(),
      isReady: (id) => this.options.probes.isReady(id, specOf(id)),
      isStarted: (id) => this.options.probes.isStarted(id, specOf(id)),
      hostIP: this.options.hostIP,
      now: Date.now(),
      terminal,
    });
  }

  private async applyActions(pod: PodView, observed: ObservedPod, context: SyncContext, logger: Logger): Promise<number | undefined> {
    const sandbox = readySandbox(observed) ?? await this.createSandbox(pod, observed, context, logger);

    // Init containers run one at a time, each to success, before any container starts.
    for (const spec of pod.spec.initContainers ?? []) {
      const [current] = instancesOf(observed, spec.name);
      if (current === undefined) return this.startContainer(pod, spec, sandbox, 0, context);
      if (current.state === 'CONTAINER_RUNNING' || current.state === 'CONTAINER_CREATED') return undefined;
      if (current.exitCode === 0) continue;
      if ((pod.spec.restartPolicy ?? 'Always') === 'Never') return undefined;
      return this.restartWithBackoff(pod, spec, current, sandbox, context);
    }

    let requeue: number | undefined;
    for (const spec of pod.spec.containers) {
      const next = await this.syncContainer(pod, spec, instancesOf(observed, spec.name)[0], sandbox, context);
      if (next !== undefined) requeue = Math.min(requeue ?? next, next);
    }
    return requeue;
  }

  private async syncContainer(pod: PodView, spec: ReadonlyDeep<Container>, current: ContainerStatus | undefined,
    sandbox: PodSandboxStatus, context: SyncContext): Promise<number | undefined> {
    if (current === undefined) return this.startContainer(pod, spec, sandbox, 0, context);

    // The image is the one container field a pod update may change, and a new image means a new container.
    const imageChanged = current.image !== (spec.image ?? '');
    let killedForNewImage = false;
    if (current.state === 'CONTAINER_RUNNING') {
      const failed = this.options.probes.failedProbe(current.id);
      if (failed === undefined && !imageChanged) return undefined;
      const message = imageChanged
        ? `Container ${spec.name} definition changed, will be restarted`
        : `Container ${spec.name} failed ${failed} probe, will be restarted`;
      context.changed = true;
      await this.terminator.killContainer(pod, spec, current, pod.spec.terminationGracePeriodSeconds ?? 30, message);
      current = await this.options.runtime.containerStatus(current.id);
      killedForNewImage = imageChanged;
    }

    if (current.state !== 'CONTAINER_EXITED') return undefined;
    // A container killed for a new image starts again whatever the restartPolicy, as upstream does.
    if (killedForNewImage) return this.startContainer(pod, spec, sandbox, current.attempt + 1, context);
    const policy = pod.spec.restartPolicy ?? 'Always';
    const restart = policy === 'Always' || (policy === 'OnFailure' && current.exitCode !== 0);
    if (!restart) return undefined;
    return this.restartWithBackoff(pod, spec, current, sandbox, context);
  }

  private async restartWithBackoff(pod: PodView, spec: ReadonlyDeep<Container>, dead: ContainerStatus,
    sandbox: PodSandboxStatus, context: SyncContext): Promise<number | undefined> {
    const { name = '', namespace = '', uid = '' } = pod.metadata;
    // An image removed since the last start is the reason the container cannot come back, not the crash loop.
    if (await this.images.status(spec.image ?? '', true) === undefined) return this.reportMissingImage(pod, spec, context);

    const key = `${uid}/${spec.name}`;
    const remaining = this.options.crashBackoff.remaining(key, dead.finishedAt ?? Date.now());
    if (remaining > 0) {
      const delay = formatDuration(this.options.crashBackoff.delay(key));
      context.waiting.set(spec.name, { reason: 'CrashLoopBackOff', message: `back-off ${delay} restarting failed container=${spec.name} pod=${name}_${namespace}(${uid})` });
      this.options.recorder.record(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${name}_${namespace}(${uid})`, containerFieldPath(pod, spec.name));
      return remaining;
    }
    this.options.crashBackoff.next(key);
    this.podLogger(pod).info('Restarting container', { container: spec.name, exitCode: dead.exitCode, restartCount: dead.attempt + 1 });
    return this.startContainer(pod, spec, sandbox, dead.attempt + 1, context);
  }

  private async createSandbox(pod: PodView, observed: ObservedPod, context: SyncContext, logger: Logger): Promise<PodSandboxStatus> {
    // A sandbox that died takes its containers with it: kill what still runs there before starting over.
    if (observed.sandboxes.length > 0) {
      this.options.recorder.record(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      await this.terminator.killPod(pod, observed, 0);
    }
    try {
      context.changed = true;
      const id = await this.options.runtime.runPodSandbox(sandboxConfig(pod, this.options.logRoot));
      this.options.cache.addSandbox(pod.metadata.uid ?? '', id);
      const sandbox = await this.options.runtime.podSandboxStatus(id);
      logger.info('Started pod sandbox', { sandbox: id, ip: sandbox.ip });
      return sandbox;
    } catch (error) {
      this.options.recorder.record(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${errorMessage(error)}`);
      throw new Error('create pod sandbox', { cause: error });
    }
  }

  /** Starts one instance of a container; returns a requeue delay when it could not. */
  private async startContainer(pod: PodView, spec: ReadonlyDeep<Container>, sandbox: PodSandboxStatus,
    attempt: number, context: SyncContext): Promise<number | undefined> {
    const { runtime, recorder } = this.options;
    const fieldPath = containerFieldPath(pod, spec.name);
    const image = spec.image ?? '';

    // A restart reads the image store afresh, because the image may have been removed since the last start.
    const info = await this.images.status(image, attempt > 0);
    if (info === undefined) return this.reportMissingImage(pod, spec, context);
    this.pullFailures.delete(`${pod.metadata.uid}/${spec.name}`);
    recorder.record(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, fieldPath);

    let id: string;
    context.changed = true;
    try {
      const values = { nodeName: this.options.nodeName, hostIP: this.options.hostIP, podIP: sandbox.ip ?? '' };
      id = await runtime.createContainer(sandbox.id, containerConfig(pod, spec, attempt, values));
    } catch (error) {
      return this.reportStartFailure(pod, spec, context, 'CreateContainerError', error);
    }
    recorder.record(pod, 'Normal', 'Created', `Created container: ${spec.name}`, fieldPath);

    try {
      await runtime.startContainer(id);
    } catch (error) {
      return this.reportStartFailure(pod, spec, context, 'RunContainerError', error);
    }
    recorder.record(pod, 'Normal', 'Started', `Started container ${spec.name}`, fieldPath);
    this.podLogger(pod).debug('Started container', { container: spec.name, containerId: id, attempt });
    await this.runPostStart(pod, spec, id);
    return undefined;
  }

  /** Runs a postStart exec hook; a failed hook kills the container, which then restarts as restartPolicy sets. */
  private async runPostStart(pod: PodView, spec: ReadonlyDeep<Container>, containerId: string): Promise<void> {
    const command = spec.lifecycle?.postStart?.exec?.command;
    if (command === undefined) return;
    // NOTE: only exec hooks run; httpGet and sleep postStart hooks are skipped.
    const exitCode = await this.options.runtime.exec(containerId, { command: [...command] }).catch((error: unknown) => {
      this.podLogger(pod).warn('PostStart hook failed', { container: spec.name, err: error });
      return -1;
    });
    if (exitCode === 0) return;
    // Like upstream, the event leaves out the hook's output, which may hold secrets.
    this.options.recorder.record(pod, 'Warning', 'FailedPostStartHook', 'PostStartHook failed', containerFieldPath(pod, spec.name));
    const container = await this.options.runtime.containerStatus(containerId);
    await this.terminator.killContainer(pod, spec, container, 0, `Stopping container ${spec.name}: its postStart hook failed`);
  }

  private reportStartFailure(pod: PodView, spec: ReadonlyDeep<Container>, context: SyncContext, reason: string, error: unknown): number {
    const message = errorMessage(error);
    context.waiting.set(spec.name, { reason, message });
    this.options.recorder.record(pod, 'Warning', 'Failed', `Error: ${message}`, containerFieldPath(pod, spec.name));
    this.podLogger(pod).warn('Failed to start container', { container: spec.name, reason, err: error });
    return this.options.crashBackoff.next(`${pod.metadata.uid}/${spec.name}`);
  }

  /** Reports an image the node lacks: ErrImageNeverPull, or ErrImagePull then ImagePullBackOff since pulls are not implemented. */
  private reportMissingImage(pod: PodView, spec: ReadonlyDeep<Container>, context: SyncContext): number | undefined {
    const { recorder, imageBackoff } = this.options;
    const image = spec.image ?? '';
    const fieldPath = containerFieldPath(pod, spec.name);

    if (pullPolicy(spec) === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      context.waiting.set(spec.name, { reason: 'ErrImageNeverPull', message });
      recorder.record(pod, 'Warning', 'ErrImageNeverPull', message, fieldPath);
      return undefined;
    }

    const key = `${pod.metadata.uid}/${spec.name}`;
    const pullMessage = `pulling images from a registry is not supported yet: build "${image}" on this node with \`tinykube image build\` or import it with \`tinykube image import\``;
    const remaining = imageBackoff.remaining(key, this.pullFailures.get(key) ?? 0);
    if (remaining > 0) {
      context.waiting.set(spec.name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: ${pullMessage}` });
      recorder.record(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, fieldPath);
      return remaining;
    }

    const delay = imageBackoff.next(key);
    this.pullFailures.set(key, Date.now());
    context.waiting.set(spec.name, { reason: 'ErrImagePull', message: `failed to pull image "${image}": ${pullMessage}` });
    recorder.record(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, fieldPath);
    recorder.record(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${pullMessage}`, fieldPath);
    recorder.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', fieldPath);
    return Math.min(imageErrorResyncMs, delay / 2);
  }

  /** Removes exited instances beyond the current and the previous one of each container. */
  private async removeOldInstances(pod: PodView, observed: ObservedPod): Promise<void> {
    const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((spec) => spec.name);
    for (const name of names) {
      for (const old of instancesOf(observed, name).slice(keptInstances)) {
        if (old.state !== 'CONTAINER_EXITED') continue;
        await this.options.runtime.removeContainer(old.id).catch((error: unknown) => {
          this.podLogger(pod).warn('Failed to remove old container', { container: name, containerId: old.id, err: error });
        });
      }
    }
  }

  private podLogger(pod: PodView): Logger {
    return this.options.logger.with({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, uid: pod.metadata.uid });
  }
}

/** Returns the effective imagePullPolicy: Always for `:latest` or untagged images, IfNotPresent otherwise, as API defaulting sets it. */
export function pullPolicy(spec: ReadonlyDeep<Container>): 'Always' | 'Never' | 'IfNotPresent' {
  if (spec.imagePullPolicy) return spec.imagePullPolicy;
  const image = spec.image ?? '';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tagged = lastPart.includes(':') || image.includes('@');
  return !tagged || lastPart.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}
