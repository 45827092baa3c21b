// Generation of a pod's status from what the runtime holds, following the
// kubelet's rules for phase, conditions and container states. It is a pure
// function of its inputs, so tests check it with tables.

import type { ReadonlyDeep } from '../api/informer.js';
import type {
  Container, ContainerState, ContainerStateTerminated, ContainerStatus as ApiContainerStatus,
  Pod, PodCondition, PodPhase, PodStatus,
} from '../api/types.js';
import type { ContainerStatus } from '../runtime/cri.js';
import { podQOSClass } from './resources.js';
import { instancesOf, readySandbox, type ObservedPod } from './runtime-state.js';

export interface Waiting {
  reason: string;
  message?: string;
}

export interface StatusInput {
  pod: ReadonlyDeep<Pod>;
  observed: ObservedPod;
  /** The last status written, whose times carry over while a condition holds. */
  previous?: ReadonlyDeep<PodStatus>;
  /** Waiting reason of each container that is not running, from the last sync (image errors, back-off). */
  waiting: ReadonlyMap<string, Waiting>;
  isReady(containerId: string): boolean;
  isStarted(containerId: string): boolean;
  hostIP: string;
  now: number;
  /** Whether the kubelet has killed the pod's containers for good, because the pod is being deleted. */
  terminal?: boolean;
}

/** Formats milliseconds since the epoch as metav1.Time: RFC 3339 in whole seconds. */
export function rfc3339(milliseconds: number): string {
  return new Date(milliseconds).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function containerID(id: string): string {
  return `tinykube://${id}`;
}

export function terminatedState(container: ContainerStatus): ContainerStateTerminated {
  const exitCode = container.exitCode ?? 0;
  return {
    exitCode,
    reason: container.reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
    ...(container.message ? { message: container.message } : {}),
    startedAt: container.startedAt !== undefined ? rfc3339(container.startedAt) : undefined,
    finishedAt: container.finishedAt !== undefined ? rfc3339(container.finishedAt) : undefined,
    containerID: containerID(container.id),
  };
}

function previousStatusOf(input: StatusInput, name: string): ReadonlyDeep<ApiContainerStatus> | undefined {
  const all = [...(input.previous?.initContainerStatuses ?? []), ...(input.previous?.containerStatuses ?? [])];
  return all.find((status) => status.name === name);
}

function containerStatus(input: StatusInput, spec: ReadonlyDeep<Container>, defaultWaiting: string): ApiContainerStatus {
  const [current, previous] = instancesOf(input.observed, spec.name);
  const waiting = input.waiting.get(spec.name);
  const image = spec.image ?? '';
  if (current === undefined) {
    // The runtime drops its container records when its state is removed (`tinykube down`),
    // but a container that already terminated keeps the outcome it reported.
    const reported = previousStatusOf(input, spec.name);
    if (reported?.state?.terminated) return structuredClone(reported) as ApiContainerStatus;
    return { name: spec.name, state: { waiting: waiting ?? { reason: defaultWaiting } }, lastState: {}, ready: false, restartCount: 0, image, imageID: '', started: false };
  }

  let state: ContainerState;
  let lastState: ContainerState = previous !== undefined && previous.state === 'CONTAINER_EXITED' ? { terminated: terminatedState(previous) } : {};
  if (current.state === 'CONTAINER_RUNNING') {
    state = { running: { startedAt: rfc3339(current.startedAt ?? current.createdAt) } };
  } else if (current.state === 'CONTAINER_EXITED' && waiting !== undefined && willRestart(input.pod, spec, current)) {
    // A dead container that waits for its restart shows as waiting, with the death as its last state.
    // One that never restarts keeps its termination, such as StartError, whatever went wrong after it.
    state = { waiting };
    lastState = { terminated: terminatedState(current) };
  } else if (current.state === 'CONTAINER_EXITED') {
    state = { terminated: terminatedState(current) };
  } else {
    state = { waiting: waiting ?? { reason: 'ContainerCreating' } };
  }

  const running = current.state === 'CONTAINER_RUNNING';
  return {
    name: spec.name,
    state,
    lastState,
    ready: running && input.isReady(current.id),
    restartCount: current.attempt,
    image: current.image,
    imageID: current.imageRef,
    containerID: containerID(current.id),
    started: running && input.isStarted(current.id),
  };
}

/** Returns whether restartPolicy restarts an exited container. An init container restarts unless it succeeded or the policy is Never. */
function willRestart(pod: ReadonlyDeep<Pod>, spec: ReadonlyDeep<Container>, exited: ContainerStatus): boolean {
  const policy = pod.spec.restartPolicy ?? 'Always';
  const isInit = (pod.spec.initContainers ?? []).some((init) => init.name === spec.name);
  if (isInit) return policy !== 'Never' && exited.exitCode !== 0;
  return policy === 'Always' || (policy === 'OnFailure' && exited.exitCode !== 0);
}

interface Counts {
  running: number;
  waiting: number;
  stopped: number;
  succeeded: number;
}

function countStates(statuses: ApiContainerStatus[]): Counts {
  const counts: Counts = { running: 0, waiting: 0, stopped: 0, succeeded: 0 };
  for (const status of statuses) {
    if (status.state?.running) counts.running++;
    else if (status.state?.terminated) {
      counts.stopped++;
      if (status.state.terminated.exitCode === 0) counts.succeeded++;
    } else if (status.lastState?.terminated) counts.stopped++; // crash-looping: dead, about to restart
    else counts.waiting++;
  }
  return counts;
}

/** Returns the names of init containers that have not yet exited with 0. */
function incompleteInitContainers(statuses: ApiContainerStatus[]): string[] {
  return statuses.filter((status) => status.state?.terminated?.exitCode !== 0).map((status) => status.name);
}

function initContainerFailed(pod: ReadonlyDeep<Pod>, statuses: ApiContainerStatus[]): boolean {
  if ((pod.spec.restartPolicy ?? 'Always') !== 'Never') return false;
  return statuses.some((status) => {
    const terminated = status.state?.terminated ?? status.lastState?.terminated;
    return terminated !== undefined && terminated.exitCode !== 0;
  });
}

/**
 * Computes the phase as the kubelet's getPhase does, from the container states.
 * Once the pod is terminal, containers that all stopped never restart, so the
 * phase is Succeeded or Failed whatever the restartPolicy.
 */
export function podPhase(pod: ReadonlyDeep<Pod>, initStatuses: ApiContainerStatus[], statuses: ApiContainerStatus[], terminal = false): PodPhase {
  if (initContainerFailed(pod, initStatuses)) return 'Failed';
  if (incompleteInitContainers(initStatuses).length > 0) return 'Pending';
  const counts = countStates(statuses);
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (counts.waiting > 0) return 'Pending';
  if (counts.running > 0) return 'Running';
  if (counts.stopped === 0) return 'Pending';
  if (terminal) return counts.stopped === counts.succeeded ? 'Succeeded' : 'Failed';
  if (policy === 'Always') return 'Running';
  if (counts.stopped === counts.succeeded) return 'Succeeded';
  if (policy === 'Never') return 'Failed';
  return 'Running';
}

function condition(input: StatusInput, type: PodCondition['type'], status: boolean, reason?: string, message?: string): PodCondition {
  const value = status ? 'True' : 'False';
  const old = input.previous?.conditions?.find((entry) => entry.type === type);
  const lastTransitionTime = old !== undefined && old.status === value && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(input.now);
  return {
    type, status: value, lastProbeTime: null, lastTransitionTime,
    ...(status || reason === undefined ? {} : { reason }),
    ...(status || message === undefined ? {} : { message }),
  };
}

function podConditions(input: StatusInput, phase: PodPhase, initStatuses: ApiContainerStatus[], statuses: ApiContainerStatus[]): PodCondition[] {
  const incomplete = incompleteInitContainers(initStatuses);
  const initialized = incomplete.length === 0 || phase === 'Succeeded';
  const unready = statuses.filter((status) => !status.ready).map((status) => status.name);
  const completed = phase === 'Succeeded';
  const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = completed ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const sandboxReady = readySandbox(input.observed) !== undefined && phase !== 'Succeeded' && phase !== 'Failed';
  return [
    condition(input, 'PodReadyToStartContainers', sandboxReady),
    condition(input, 'Initialized', initialized, 'ContainersNotInitialized', `containers with incomplete status: [${incomplete.join(' ')}]`),
    condition(input, 'Ready', unready.length === 0 && !completed, readyReason, readyMessage),
    condition(input, 'ContainersReady', unready.length === 0 && !completed, readyReason, readyMessage),
    condition(input, 'PodScheduled', true),
  ];
}

/** Builds the status the kubelet reports for a pod. */
export function generatePodStatus(input: StatusInput): PodStatus {
  const { pod, observed, previous } = input;
  // An init container that finished with 0 counts as ready, as upstream reports it.
  const initStatuses = (pod.spec.initContainers ?? []).map((spec) => containerStatus(input, spec, 'PodInitializing'))
    .map((status) => ({ ...status, ready: status.ready || status.state?.terminated?.exitCode === 0 }));
  const initDone = incompleteInitContainers(initStatuses).length === 0;
  const statuses = pod.spec.containers.map((spec) => containerStatus(input, spec, initDone ? 'ContainerCreating' : 'PodInitializing'));

  // A terminal phase is final: restarting the kubelet or losing the containers never revives it.
  const previousPhase = previous?.phase;
  const phase = previousPhase === 'Succeeded' || previousPhase === 'Failed' ? previousPhase : podPhase(pod, initStatuses, statuses, input.terminal);

  const sandbox = readySandbox(observed) ?? observed.sandboxes[0];
  const podIP = pod.spec.hostNetwork ? input.hostIP : sandbox?.ip ?? previous?.podIP;
  const status: PodStatus = {
    phase,
    conditions: podConditions(input, phase, initStatuses, statuses),
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: previous?.startTime ?? rfc3339(input.now),
    ...(initStatuses.length > 0 ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    qosClass: podQOSClass(pod),
  };
  return status;
}
