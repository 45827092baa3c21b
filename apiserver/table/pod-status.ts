// The READY, STATUS and RESTARTS columns of `kubectl get pods`, computed as
// kube-apiserver's pod printer does. While the pod initializes, the first init
// container that has not finished decides the status. After that, the last
// container with a waiting or terminated reason decides it.

import type { ContainerStatus, Pod } from '../../api/types.js';
import { timestampSince } from './duration.js';

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

function latest(current: number, timestamp: string | undefined): number {
  const at = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isNaN(at) ? current : Math.max(current, at);
}

function hasTrueCondition(pod: Pod, type: string): boolean {
  return (pod.status?.conditions ?? []).some((condition) => condition.type === type && condition.status === 'True');
}

export function summarizePod(pod: Pod, now: Date): PodSummary {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const initContainers = spec.initContainers ?? [];
  let total = (spec.containers ?? []).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;

  let reason: string = status.reason || status.phase || '';
  if ((status.conditions ?? []).some((condition) => condition.type === 'PodScheduled' && condition.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  // Sidecars (init containers with restartPolicy Always) count as containers.
  for (const container of initContainers) if (container.restartPolicy === 'Always') total++;

  let initializing = false;
  const initStatuses: ContainerStatus[] = status.initContainerStatuses ?? [];
  for (const [position, container] of initStatuses.entries()) {
    restarts += container.restartCount ?? 0;
    lastRestart = latest(lastRestart, container.lastState?.terminated?.finishedAt);
    const sidecar = initContainers[position]?.restartPolicy === 'Always';
    if (sidecar) {
      sidecarRestarts += container.restartCount ?? 0;
      if (container.started) ready += container.ready ? 1 : 0;
    }
    const terminated = container.state?.terminated;
    const waiting = container.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (sidecar && container.started) continue;
    if (terminated) {
      if (terminated.reason) reason = `Init:${terminated.reason}`;
      else reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${position}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasTrueCondition(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let position = statuses.length - 1; position >= 0; position--) {
      const container = statuses[position];
      restarts += container.restartCount ?? 0;
      lastRestart = latest(lastRestart, container.lastState?.terminated?.finishedAt);
      const waiting = container.state?.waiting;
      const terminated = container.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (container.ready && container.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A finished container next to a running one does not make the pod Completed.
    if (reason === 'Completed' && hasRunning) reason = hasTrueCondition(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp) reason = 'Terminating';

  const restartText = restarts !== 0 && lastRestart !== 0
    ? `${restarts} (${timestampSince(new Date(lastRestart).toISOString(), now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}
