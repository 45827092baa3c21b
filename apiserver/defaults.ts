// Defaulting as kube-apiserver applies it on create and update: the
// SetDefaults functions of core/v1 and apps/v1, the DefaultTolerationSeconds
// admission plugin, and the fields the pod and namespace strategies fill in
// on create (pod phase and QoS class, namespace phase).

import type { ResourceType } from '../api/resources.js';
import { parseQuantity } from '../api/quantity.js';
import type { Container, Deployment, KubeObject, Namespace, Pod, PodSpec, PodTemplateSpec, ReplicaSet, ResourceRequirements, Toleration } from '../api/types.js';

/** Settings of the defaulting that kube-apiserver takes from its flags. */
export interface DefaultingOptions {
  /** tolerationSeconds of the default node.kubernetes.io/not-ready:NoExecute toleration. */
  notReadyTolerationSeconds: number;
  /** tolerationSeconds of the default node.kubernetes.io/unreachable:NoExecute toleration. */
  unreachableTolerationSeconds: number;
}

/** kube-apiserver's defaults for both toleration flags: five minutes. */
export const defaultDefaultingOptions: DefaultingOptions = { notReadyTolerationSeconds: 300, unreachableTolerationSeconds: 300 };

/** Fills in the defaults kube-apiserver sets on create and update, in place. */
export function applyDefaults(type: ResourceType, object: KubeObject, options: DefaultingOptions = defaultDefaultingOptions): void {
  switch (`${type.group}/${type.kind}`) {
    case '/Pod':
      return defaultPod(object as Pod, options);
    case '/Namespace':
      return defaultNamespace(object as Namespace);
    case 'apps/ReplicaSet':
      return defaultReplicaSet(object as ReplicaSet);
    case 'apps/Deployment':
      return defaultDeployment(object as Deployment);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the image's tag, or undefined when it has none; a digest counts as a tag. */
function imageTag(image: string): string | undefined {
  if (image.includes('@')) return image.slice(image.indexOf('@') + 1);
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  return colon === -1 ? undefined : image.slice(colon + 1);
}

export function defaultImagePullPolicy(image: string | undefined): Container['imagePullPolicy'] {
  const tag = imageTag(image ?? '');
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: Container): void {
  if (!isObject(container)) return;
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  container.imagePullPolicy ??= defaultImagePullPolicy(container.image);
  for (const port of Array.isArray(container.ports) ? container.ports : []) {
    if (isObject(port)) port.protocol ??= 'TCP';
  }
  defaultResources(container.resources);
  for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
    if (!isObject(probe)) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (isObject(probe.httpGet)) probe.httpGet.scheme ??= 'HTTP';
  }
}

// A resource with a limit but no request gets a request equal to the limit.
function defaultResources(resources: ResourceRequirements | undefined): void {
  if (!isObject(resources?.limits) || resources === undefined) return;
  const requests = isObject(resources.requests) ? resources.requests : {};
  for (const [name, limit] of Object.entries(resources.limits)) {
    if (!(name in requests)) requests[name] = limit;
  }
  resources.requests = requests;
}

// The DefaultTolerationSeconds admission plugin lets a pod stay bound for a
// while (five minutes unless the flags say otherwise) after its node becomes
// not-ready or unreachable.
function addDefaultTolerations(spec: PodSpec, options: DefaultingOptions): void {
  const defaultTolerations: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: options.notReadyTolerationSeconds },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: options.unreachableTolerationSeconds },
  ];
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  for (const wanted of defaultTolerations) {
    const present = tolerations.some((toleration) => isObject(toleration) &&
      (toleration.operator === 'Exists' && !toleration.key || toleration.key === wanted.key) &&
      (!toleration.effect || toleration.effect === 'NoExecute'));
    if (!present) tolerations.push({ ...wanted });
  }
  spec.tolerations = tolerations;
}

function defaultPodSpec(spec: PodSpec): void {
  if (!isObject(spec)) return;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const container of [...(Array.isArray(spec.initContainers) ? spec.initContainers : []), ...(Array.isArray(spec.containers) ? spec.containers : [])]) {
    defaultContainer(container);
  }
}

function defaultPod(pod: Pod, options: DefaultingOptions): void {
  if (!isObject(pod.spec)) return;
  defaultPodSpec(pod.spec);
  addDefaultTolerations(pod.spec, options);
  pod.spec.priority ??= 0;
  pod.status = isObject(pod.status) ? pod.status : {};
  pod.status.phase ??= 'Pending';
  pod.status.qosClass ??= qosClass(pod.spec);
}

function defaultTemplate(template: PodTemplateSpec | undefined): void {
  if (isObject(template) && isObject(template.spec)) defaultPodSpec(template.spec);
}

function defaultNamespace(namespace: Namespace): void {
  namespace.spec = isObject(namespace.spec) ? namespace.spec : {};
  namespace.spec.finalizers ??= ['kubernetes'];
  namespace.status = isObject(namespace.status) ? namespace.status : {};
  namespace.status.phase ??= 'Active';
}

function defaultReplicaSet(replicaSet: ReplicaSet): void {
  if (!isObject(replicaSet.spec)) return;
  replicaSet.spec.replicas ??= 1;
  replicaSet.spec.minReadySeconds ??= 0;
  defaultTemplate(replicaSet.spec.template);
}

function defaultDeployment(deployment: Deployment): void {
  const spec = deployment.spec;
  if (!isObject(spec)) return;
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.minReadySeconds ??= 0;
  spec.strategy = isObject(spec.strategy) ? spec.strategy : {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate = isObject(spec.strategy.rollingUpdate) ? spec.strategy.rollingUpdate : {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  defaultTemplate(spec.template);
}

/**
 * Computes the QoS class as the kubelet does: Guaranteed when every container
 * sets cpu and memory limits equal to its requests, BestEffort when no
 * container sets any cpu or memory request or limit, Burstable otherwise.
 */
export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].filter(isObject);
  const tracked = ['cpu', 'memory'];
  let anySet = false;
  let guaranteed = containers.length > 0;
  for (const container of containers) {
    const requests = isObject(container.resources?.requests) ? container.resources.requests : {};
    const limits = isObject(container.resources?.limits) ? container.resources.limits : {};
    for (const name of tracked) {
      if (name in requests || name in limits) anySet = true;
      if (!(name in limits)) guaranteed = false;
      else if (name in requests && !sameQuantity(requests[name], limits[name])) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function sameQuantity(a: string, b: string): boolean {
  try {
    return parseQuantity(a) === parseQuantity(b);
  } catch {
    return a === b;
  }
}
