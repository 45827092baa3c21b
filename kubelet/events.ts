// Records core/v1 Events about pods, as the kubelet's event recorder does: an
// event repeated within ten minutes bumps the count of the first one instead
// of creating another, so `kubectl describe pod` shows "x3 over 40s".
// Writes happen in the background, one at a time, and a failed write is only
// logged, because events are advisory and must never hold up a pod.

import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiClient } from '../api/client.js';
import type { ReadonlyDeep } from '../api/informer.js';
import type { Logger } from '../api/log.js';
import { events } from '../api/resources.js';
import type { Event, Pod } from '../api/types.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Records an event about a pod, or about one of its containers when fieldPath is set (`spec.containers{name}`). */
  record(pod: ReadonlyDeep<Pod>, type: EventType, reason: string, message: string, fieldPath?: string): void;
}

const aggregationWindowMs = 10 * 60 * 1000;

interface Recorded {
  namespace: string;
  name: string;
  count: number;
  lastSeen: number;
}

export class ApiEventRecorder implements EventRecorder {
  private readonly recent = new Map<string, Recorded>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly client: ApiClient, private readonly nodeName: string, private readonly logger: Logger) {}

  record(pod: ReadonlyDeep<Pod>, type: EventType, reason: string, message: string, fieldPath?: string): void {
    // One write at a time: a burst of pod starts then sends its events one by one instead of
    // competing with the pod status writes, which matter more, for the apiserver.
    this.writes = this.writes.then(() => this.write(pod, type, reason, message, fieldPath)).catch((error: unknown) => {
      this.logger.warn('Failed to record event', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, reason, err: error });
    });
  }

  /** Resolves once every event recorded so far is written or has failed. */
  flush(): Promise<void> {
    return this.writes;
  }

  private async write(pod: ReadonlyDeep<Pod>, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const namespace = pod.metadata.namespace ?? 'default';
    const key = [pod.metadata.uid, fieldPath ?? '', type, reason, message].join('\u0000');
    const now = new Date();
    const previous = this.recent.get(key);
    this.pruneRecent(now.getTime());

    if (previous !== undefined && now.getTime() - previous.lastSeen < aggregationWindowMs) {
      previous.count++;
      previous.lastSeen = now.getTime();
      await this.client.patch(events, previous.namespace, previous.name, { count: previous.count, lastTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z') });
      return;
    }

    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName(pod.metadata.name ?? '', now), namespace },
      involvedObject: {
        apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace,
        uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion, fieldPath,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      source: { component: 'kubelet', host: this.nodeName },
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
    };
    const created = await this.client.create(events, event);
    this.recent.set(key, { namespace, name: created.metadata.name ?? event.metadata.name ?? '', count: 1, lastSeen: now.getTime() });
  }

  private pruneRecent(now: number): void {
    if (this.recent.size < 4096) return;
    for (const [key, entry] of this.recent) if (now - entry.lastSeen >= aggregationWindowMs) this.recent.delete(key);
  }
}

/** Maximum length of an event's name, which must be a DNS subdomain. */
const maxEventNameLength = 253;

/**
 * Names an event `<object name>.<suffix>`, or with a random UUID when that is
 * longer than a DNS subdomain allows, as client-go's GenerateEventName
 * (tools/record/util) does. kubectl describe selects events by involvedObject,
 * so a UUID name hides nothing from it.
 */
export function eventName(objectName: string, now: Date): string {
  const name = `${objectName}.${eventSuffix(now)}`;
  return name.length <= maxEventNameLength ? name : randomUUID();
}

/** Builds the name suffix the way client-go does: the time in nanoseconds, in hex, made unique by random bits. */
function eventSuffix(now: Date): string {
  const nanoseconds = BigInt(now.getTime()) * 1_000_000n + BigInt(randomBytes(2).readUInt16BE() % 1_000_000);
  return nanoseconds.toString(16);
}

/** Returns the fieldPath of a container, as events and object references name it. */
export function containerFieldPath(pod: ReadonlyDeep<Pod>, containerName: string): string {
  const isInit = (pod.spec.initContainers ?? []).some((container) => container.name === containerName);
  return `${isInit ? 'spec.initContainers' : 'spec.containers'}{${containerName}}`;
}
