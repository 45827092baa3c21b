// Validation of pods and pod templates: the pod spec, its containers, volumes
// and tolerations, and the few pod spec changes an update may make.

import type { StatusCause } from '../../api/types.js';
import { child, duplicate, forbidden, index, invalid, isInteger, isObject, notFound, notSupported, required } from './causes.js';
import { validateLabels } from './meta.js';
import { checkDns1123Label, checkDns1123Subdomain, checkEnvVarName, checkPortName } from './names.js';
import { validateResourceRequirements } from './resources.js';

type Json = Record<string, unknown>;

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function validatePortNumber(value: unknown, path: string, isRequired: boolean): StatusCause[] {
  if (value === undefined || value === 0) return isRequired ? [required(path)] : [];
  if (!isInteger(value) || value < 1 || value > 65535) return [invalid(path, value, 'must be between 1 and 65535, inclusive')];
  return [];
}

function validatePorts(ports: unknown, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  asList(ports).forEach((port, position) => {
    const at = index(path, position);
    if (!isObject(port)) return;
    if (typeof port.name === 'string' && port.name !== '') {
      for (const problem of checkPortName(port.name)) causes.push(invalid(child(at, 'name'), port.name, problem));
      if (names.has(port.name)) causes.push(duplicate(child(at, 'name'), port.name));
      names.add(port.name);
    }
    causes.push(...validatePortNumber(port.containerPort, child(at, 'containerPort'), true));
    causes.push(...validatePortNumber(port.hostPort, child(at, 'hostPort'), false));
    // Defaulting fills in TCP before validation runs.
    if (port.protocol !== undefined && !protocols.includes(String(port.protocol))) causes.push(notSupported(child(at, 'protocol'), port.protocol, protocols));
  });
  return causes;
}

function validateEnv(env: unknown, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  asList(env).forEach((variable, position) => {
    const at = index(path, position);
    if (!isObject(variable)) return;
    if (typeof variable.name !== 'string' || variable.name === '') causes.push(required(child(at, 'name')));
    else for (const problem of checkEnvVarName(variable.name)) causes.push(invalid(child(at, 'name'), variable.name, problem));
    if (variable.value !== undefined && variable.value !== '' && variable.valueFrom !== undefined) {
      causes.push(invalid(child(at, 'valueFrom'), '', 'may not be specified when `value` is not empty'));
    }
  });
  return causes;
}

function validateVolumeMounts(mounts: unknown, path: string, volumes: Set<string>): StatusCause[] {
  const causes: StatusCause[] = [];
  const mountPaths = new Set<string>();
  asList(mounts).forEach((mount, position) => {
    const at = index(path, position);
    if (!isObject(mount)) return;
    if (typeof mount.name !== 'string' || mount.name === '') causes.push(required(child(at, 'name')));
    else if (!volumes.has(mount.name)) causes.push(notFound(child(at, 'name'), mount.name));
    if (typeof mount.mountPath !== 'string' || mount.mountPath === '') causes.push(required(child(at, 'mountPath')));
    else {
      if (mountPaths.has(mount.mountPath)) causes.push(invalid(child(at, 'mountPath'), mount.mountPath, 'must be unique'));
      mountPaths.add(mount.mountPath);
    }
  });
  return causes;
}

function validateContainer(container: Json, path: string, volumes: Set<string>, isInit: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (typeof container.image !== 'string' || container.image.trim() === '') {
    causes.push(required(child(path, 'image')));
  } else if (container.image !== container.image.trim()) {
    causes.push(invalid(child(path, 'image'), container.image, 'must not have leading or trailing whitespace'));
  }
  if (container.imagePullPolicy !== undefined && !pullPolicies.includes(String(container.imagePullPolicy))) {
    causes.push(notSupported(child(path, 'imagePullPolicy'), container.imagePullPolicy, pullPolicies));
  }
  if (container.terminationMessagePolicy !== undefined && !terminationMessagePolicies.includes(String(container.terminationMessagePolicy))) {
    causes.push(notSupported(child(path, 'terminationMessagePolicy'), container.terminationMessagePolicy, terminationMessagePolicies));
  }
  if (container.restartPolicy !== undefined) {
    if (!isInit) causes.push(forbidden(child(path, 'restartPolicy'), 'may not be set for non-init containers'));
    else if (container.restartPolicy !== 'Always') causes.push(notSupported(child(path, 'restartPolicy'), container.restartPolicy, ['Always']));
  }
  causes.push(...validatePorts(container.ports, child(path, 'ports')));
  causes.push(...validateEnv(container.env, child(path, 'env')));
  causes.push(...validateVolumeMounts(container.volumeMounts, child(path, 'volumeMounts'), volumes));
  causes.push(...validateResourceRequirements(container.resources, child(path, 'resources')));
  return causes;
}

/** Validates containers and init containers, whose names must be unique across both lists. */
function validateContainers(spec: Json, path: string, volumes: Set<string>): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  const check = (containers: unknown[], listPath: string, isInit: boolean) => containers.forEach((container, position) => {
    const at = index(listPath, position);
    if (!isObject(container)) {
      causes.push(invalid(at, container, 'must be an object'));
      return;
    }
    if (typeof container.name !== 'string' || container.name === '') causes.push(required(child(at, 'name')));
    else {
      for (const problem of checkDns1123Label(container.name)) causes.push(invalid(child(at, 'name'), container.name, problem));
      if (names.has(container.name)) causes.push(duplicate(child(at, 'name'), container.name));
      names.add(container.name);
    }
    causes.push(...validateContainer(container, at, volumes, isInit));
  });

  check(asList(spec.initContainers), child(path, 'initContainers'), true);
  const containers = asList(spec.containers);
  if (containers.length === 0) causes.push(required(child(path, 'containers')));
  check(containers, child(path, 'containers'), false);
  return causes;
}

function validateVolumes(volumes: unknown, path: string): { causes: StatusCause[]; names: Set<string> } {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  asList(volumes).forEach((volume, position) => {
    const at = index(path, position);
    if (!isObject(volume)) return;
    if (typeof volume.name !== 'string' || volume.name === '') causes.push(required(child(at, 'name')));
    else {
      for (const problem of checkDns1123Label(volume.name)) causes.push(invalid(child(at, 'name'), volume.name, problem));
      if (names.has(volume.name)) causes.push(duplicate(child(at, 'name'), volume.name));
      names.add(volume.name);
    }
    const sources = Object.keys(volume).filter((key) => key !== 'name' && volume[key] !== undefined && volume[key] !== null);
    if (sources.length === 0) causes.push(required(at, 'must specify a volume type'));
    else if (sources.length > 1) causes.push(forbidden(child(at, sources[1]), 'may not specify more than 1 volume type'));
  });
  return { causes, names };
}

function validateTolerations(tolerations: unknown, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  asList(tolerations).forEach((toleration, position) => {
    const at = index(path, position);
    if (!isObject(toleration)) return;
    const operator = toleration.operator ?? 'Equal';
    if (operator !== 'Equal' && operator !== 'Exists') causes.push(notSupported(child(at, 'operator'), operator, ['Equal', 'Exists']));
    if (operator === 'Exists' && toleration.value !== undefined && toleration.value !== '') {
      causes.push(invalid(child(at, 'operator'), toleration.value, 'value must be empty when `operator` is \'Exists\''));
    }
    if ((toleration.key === undefined || toleration.key === '') && operator !== 'Exists') {
      causes.push(invalid(child(at, 'operator'), operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (toleration.effect !== undefined && toleration.effect !== '' && !taintEffects.includes(String(toleration.effect))) {
      causes.push(notSupported(child(at, 'effect'), toleration.effect, taintEffects));
    }
    if (toleration.tolerationSeconds !== undefined && toleration.effect !== 'NoExecute') {
      causes.push(invalid(child(at, 'effect'), toleration.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
  });
  return causes;
}

/** Validates a pod spec at path: spec for pods, spec.template.spec for templates. */
export function validatePodSpec(spec: unknown, path: string): StatusCause[] {
  if (!isObject(spec)) return [required(path)];
  const volumes = validateVolumes(spec.volumes, child(path, 'volumes'));
  const causes = [...volumes.causes, ...validateContainers(spec, path, volumes.names)];

  if (spec.restartPolicy !== undefined && !restartPolicies.includes(String(spec.restartPolicy))) {
    causes.push(notSupported(child(path, 'restartPolicy'), spec.restartPolicy, restartPolicies));
  }
  if (spec.dnsPolicy !== undefined && !dnsPolicies.includes(String(spec.dnsPolicy))) {
    causes.push(notSupported(child(path, 'dnsPolicy'), spec.dnsPolicy, dnsPolicies));
  }
  if (spec.terminationGracePeriodSeconds !== undefined && (!isInteger(spec.terminationGracePeriodSeconds) || spec.terminationGracePeriodSeconds < 0)) {
    causes.push(invalid(child(path, 'terminationGracePeriodSeconds'), spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  if (spec.activeDeadlineSeconds !== undefined &&
      (!isInteger(spec.activeDeadlineSeconds) || spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > 2147483647)) {
    causes.push(invalid(child(path, 'activeDeadlineSeconds'), spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
    for (const problem of checkDns1123Subdomain(spec.nodeName)) causes.push(invalid(child(path, 'nodeName'), spec.nodeName, problem));
  }
  if (typeof spec.hostname === 'string' && spec.hostname !== '') {
    for (const problem of checkDns1123Label(spec.hostname)) causes.push(invalid(child(path, 'hostname'), spec.hostname, problem));
  }
  causes.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  causes.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  causes.push(...validateResourceRequirements(spec.resources, child(path, 'resources')));
  return causes;
}

const podUpdateMessage = 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]));
}

/**
 * Validates a pod update. A pod's spec is immutable except container images,
 * a new or shorter activeDeadlineSeconds, and added tolerations. So the
 * comparison copies the mutable fields from old and compares the rest.
 */
export function validatePodSpecUpdate(spec: unknown, oldSpec: unknown): StatusCause[] {
  // A status update carries the stored spec over unchanged, by reference.
  if (spec === oldSpec || !isObject(spec) || !isObject(oldSpec)) return [];
  const causes: StatusCause[] = [];

  const oldDeadline = oldSpec.activeDeadlineSeconds;
  const newDeadline = spec.activeDeadlineSeconds;
  if (isInteger(oldDeadline) && (newDeadline === undefined || (isInteger(newDeadline) && newDeadline > oldDeadline))) {
    causes.push(invalid('spec.activeDeadlineSeconds', newDeadline ?? null, 'must be less than or equal to previous value'));
  }

  const oldTolerations = asList(oldSpec.tolerations);
  const newTolerations = asList(spec.tolerations);
  for (const toleration of oldTolerations) {
    if (!newTolerations.some((candidate) => sameJson(candidate, toleration))) {
      causes.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }

  const comparable = (value: Json, imagesFrom: Json): Json => {
    const copy: Json = { ...value, activeDeadlineSeconds: undefined, tolerations: undefined };
    for (const list of ['containers', 'initContainers']) {
      const source = asList(imagesFrom[list]);
      if (Array.isArray(value[list])) {
        copy[list] = asList(value[list]).map((container, position) => isObject(container) && isObject(source[position])
          ? { ...container, image: source[position].image } : container);
      }
    }
    return copy;
  };
  if (!sameJson(comparable(spec, oldSpec), comparable(oldSpec, oldSpec))) causes.push(forbidden('spec', podUpdateMessage));
  return causes;
}
