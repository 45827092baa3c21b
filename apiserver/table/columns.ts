// Column definitions and cell values of each kind, as kube-apiserver's
// printers define them. The server always fills every column; kubectl shows
// priority 1 columns only with `-o wide`.

import { formatLabelSelector } from '../../api/labels.js';
import type { Container, Deployment, Event, KubeObject, Lease, Namespace, Node, Pod, ReplicaSet } from '../../api/types.js';
import { timestampSince } from './duration.js';
import { summarizePod } from './pod-status.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean;

export interface KindPrinter {
  columns: TableColumnDefinition[];
  cells(object: KubeObject, now: Date): Cell[];
  /** Row conditions, such as Completed for finished pods, which kubectl reads. */
  conditions?(object: KubeObject): { type: string; status: string }[] | undefined;
}

function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

const nameColumn = column('Name', 'string', 'Name of the object, unique within its namespace and kind.', 0, 'name');
const ageColumn = column('Age', 'string', 'Time since the object was created, from metadata.creationTimestamp.');
const containersColumn = column('Containers', 'string', 'Names of each container in the template.', 1);
const imagesColumn = column('Images', 'string', 'Images referenced by each container in the template.', 1);
const selectorColumn = column('Selector', 'string', 'Label query over the pods the controller manages.', 1);

const age = (object: KubeObject, now: Date) => timestampSince(object.metadata.creationTimestamp, now);
const orNone = (value: string | undefined) => (value ? value : '<none>');

function containerCells(containers: readonly Container[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((container) => container.name).join(','), list.map((container) => container.image ?? '').join(',')];
}

function selectorCell(selector: Deployment['spec']['selector'] | undefined): string {
  return orNone(formatLabelSelector(selector));
}

const podPrinter: KindPrinter = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Ready containers out of all containers of the pod.'),
    column('Status', 'string', 'The aggregate status of the pod\'s containers.'),
    column('Restarts', 'string', 'Restarts of the pod\'s containers, and how long ago the last one was.'),
    ageColumn,
    column('IP', 'string', 'IP address of the pod, once allocated.', 1),
    column('Node', 'string', 'The node the pod is bound to.', 1),
    column('Nominated Node', 'string', 'The node a preempting pod expects to run on.', 1),
    column('Readiness Gates', 'string', 'Readiness gates that are true, out of all readiness gates.', 1),
  ],
  cells(object, now) {
    const pod = object as Pod;
    const summary = summarizePod(pod, now);
    const ip = pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP;
    const gates = (pod.spec as { readinessGates?: { conditionType?: string }[] } | undefined)?.readinessGates ?? [];
    const trueGates = gates.filter((gate) => (pod.status?.conditions ?? [])
      .some((condition) => condition.type === gate.conditionType && condition.status === 'True')).length;
    return [pod.metadata.name ?? '', summary.ready, summary.status, summary.restarts, age(pod, now),
      orNone(ip), orNone(pod.spec?.nodeName), orNone(pod.status?.nominatedNodeName), gates.length > 0 ? `${trueGates}/${gates.length}` : '<none>'];
  },
  conditions(object) {
    const phase = (object as Pod).status?.phase;
    return phase === 'Succeeded' || phase === 'Failed' ? [{ type: 'Completed', status: 'True' }] : undefined;
  },
};

const replicaSetPrinter: KindPrinter = {
  columns: [
    nameColumn,
    column('Desired', 'integer', 'Number of desired pods.'),
    column('Current', 'integer', 'Number of pods the ReplicaSet observed.'),
    column('Ready', 'integer', 'Number of ready pods.'),
    ageColumn, containersColumn, imagesColumn, selectorColumn,
  ],
  cells(object, now) {
    const replicaSet = object as ReplicaSet;
    return [replicaSet.metadata.name ?? '', replicaSet.spec?.replicas ?? 1, replicaSet.status?.replicas ?? 0, replicaSet.status?.readyReplicas ?? 0,
      age(replicaSet, now), ...containerCells(replicaSet.spec?.template?.spec?.containers), selectorCell(replicaSet.spec?.selector)];
  },
};

const deploymentPrinter: KindPrinter = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Ready pods out of desired pods.'),
    column('Up-to-date', 'integer', 'Number of pods with the current template.'),
    column('Available', 'integer', 'Number of pods available to serve.'),
    ageColumn, containersColumn, imagesColumn, selectorColumn,
  ],
  cells(object, now) {
    const deployment = object as Deployment;
    const status = deployment.status ?? {};
    return [deployment.metadata.name ?? '', `${status.readyReplicas ?? 0}/${deployment.spec?.replicas ?? 1}`, status.updatedReplicas ?? 0,
      status.availableReplicas ?? 0, age(deployment, now), ...containerCells(deployment.spec?.template?.spec?.containers),
      selectorCell(deployment.spec?.selector)];
  },
};

function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length) roles.add(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return [...roles].sort();
}

function nodeStatus(node: Node): string {
  const ready = (node.status?.conditions ?? []).find((condition) => condition.type === 'Ready');
  let readiness = 'Unknown';
  if (ready) readiness = ready.status === 'True' ? 'Ready' : 'NotReady';
  const parts = [readiness];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

const nodePrinter: KindPrinter = {
  columns: [
    nameColumn,
    column('Status', 'string', 'The node\'s readiness, and SchedulingDisabled when it is cordoned.'),
    column('Roles', 'string', 'Roles of the node, from its node-role.kubernetes.io labels.'),
    ageColumn,
    column('Version', 'string', 'Version of the node\'s kubelet.'),
    column('Internal-IP', 'string', 'The node\'s first internal IP address.', 1),
    column('External-IP', 'string', 'The node\'s first external IP address.', 1),
    column('OS-Image', 'string', 'Operating system image the node reports.', 1),
    column('Kernel-Version', 'string', 'Kernel version the node reports.', 1),
    column('Container-Runtime', 'string', 'Container runtime name and version the node reports.', 1),
  ],
  cells(object, now) {
    const node = object as Node;
    const address = (type: string) => node.status?.addresses?.find((candidate) => candidate.type === type)?.address;
    const info = node.status?.nodeInfo;
    const roles = nodeRoles(node).join(',');
    return [node.metadata.name ?? '', nodeStatus(node), roles || '<none>', age(node, now), info?.kubeletVersion ?? '',
      orNone(address('InternalIP')), orNone(address('ExternalIP')), info?.osImage || '<unknown>', info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>'];
  },
};

const namespacePrinter: KindPrinter = {
  columns: [nameColumn, column('Status', 'string', 'The phase of the namespace: Active or Terminating.'), ageColumn],
  cells: (object, now) => [object.metadata.name ?? '', (object as Namespace).status?.phase ?? '', age(object, now)],
};

function eventSource(event: Event): string {
  const component = event.source?.component || event.reportingComponent || '';
  const instance = event.source?.host || event.reportingInstance || '';
  if (!component) return '';
  return instance ? `${component}, ${instance}` : component;
}

const eventPrinter: KindPrinter = {
  columns: [
    column('Last Seen', 'string', 'Time since the event was last seen.'),
    column('Type', 'string', 'Normal or Warning.'),
    column('Reason', 'string', 'Short CamelCase reason of the event.'),
    column('Object', 'string', 'The object the event is about, as kind/name.'),
    column('Subobject', 'string', 'The field of the object the event is about.', 1),
    column('Source', 'string', 'The component that reported the event.', 1),
    column('Message', 'string', 'A human-readable description of the event.'),
    column('First Seen', 'string', 'Time since the event was first seen.', 1),
    column('Count', 'string', 'How many times the event occurred.', 1),
    column('Name', 'string', 'Name of the event.', 1, 'name'),
  ],
  cells(object, now) {
    const event = object as Event & { series?: { count?: number; lastObservedTime?: string } };
    const firstSeen = event.firstTimestamp ? timestampSince(event.firstTimestamp, now) : timestampSince(event.eventTime, now);
    let lastSeen = event.lastTimestamp ? timestampSince(event.lastTimestamp, now) : firstSeen;
    let count = event.count ?? 0;
    if (event.series) {
      lastSeen = timestampSince(event.series.lastObservedTime, now);
      count = event.series.count ?? count;
    } else if (count === 0) {
      count = 1;
    }
    const involved = event.involvedObject ?? {};
    const target = involved.name ? `${(involved.kind ?? '').toLowerCase()}/${involved.name}` : (involved.kind ?? '').toLowerCase();
    return [lastSeen, event.type ?? '', event.reason ?? '', target, involved.fieldPath ?? '', eventSource(event), (event.message ?? '').trim(),
      firstSeen, count, event.metadata.name ?? ''];
  },
};

const leasePrinter: KindPrinter = {
  columns: [nameColumn, column('Holder', 'string', 'The identity of the current holder of the lease.'), ageColumn],
  cells: (object, now) => [object.metadata.name ?? '', (object as Lease).spec?.holderIdentity ?? '', age(object, now)],
};

const defaultPrinter: KindPrinter = {
  columns: [nameColumn, ageColumn],
  cells: (object, now) => [object.metadata.name ?? '', age(object, now)],
};

const printers: Record<string, KindPrinter> = {
  '/Pod': podPrinter,
  '/Node': nodePrinter,
  '/Namespace': namespacePrinter,
  '/Event': eventPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'apps/Deployment': deploymentPrinter,
  'coordination.k8s.io/Lease': leasePrinter,
};

export function printerFor(group: string, kind: string): KindPrinter {
  return printers[`${group}/${kind}`] ?? defaultPrinter;
}
