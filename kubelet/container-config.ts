// Translation of a pod spec into the runtime's sandbox and container configs.

import { join } from 'node:path';
import type { ReadonlyDeep } from '../api/informer.js';
import type { Container, EnvVar, Pod } from '../api/types.js';
import type { ContainerConfig, PodSandboxConfig } from '../runtime/cri.js';
import { containerResources, podResources } from './resources.js';

export const podUIDLabel = 'io.kubernetes.pod.uid';
export const podNameLabel = 'io.kubernetes.pod.name';
export const podNamespaceLabel = 'io.kubernetes.pod.namespace';
export const containerNameLabel = 'io.kubernetes.container.name';

/** Maximum bytes of one file name (NAME_MAX on Linux). */
const maxFileNameBytes = 255;

/**
 * Returns the name of the pod's directory under the kubelet's pods root:
 * `<namespace>_<name>_<uid>`, as the kubelet names /var/log/pods entries, or
 * only `<uid>` when that would exceed NAME_MAX. A 253-character pod name in
 * `default` makes 8 + 253 + 1 + 36 = 298 bytes, for example. Either form ends
 * with the uid, which is how podUIDOfDirectory finds the pod again.
 */
export function podDirectoryName(pod: ReadonlyDeep<Pod>): string {
  const { namespace = 'default', name = '', uid = '' } = pod.metadata;
  const full = `${namespace}_${name}_${uid}`;
  return Buffer.byteLength(full) <= maxFileNameBytes ? full : uid;
}

/** Returns the uid of the pod a directory named by podDirectoryName belongs to. */
export function podUIDOfDirectory(directoryName: string): string {
  return directoryName.slice(directoryName.lastIndexOf('_') + 1);
}

/** Returns the pod's log directory under root. */
export function podLogDirectory(root: string, pod: ReadonlyDeep<Pod>): string {
  return join(root, podDirectoryName(pod));
}

/** Maximum length of a pod's hostname: a DNS label, and within the kernel's HOST_NAME_MAX of 64. */
const maxHostnameLength = 63;

/**
 * Returns the pod's hostname: spec.hostname or the pod name, cut to 63
 * characters without a trailing '-' or '.', as the kubelet truncates a long
 * pod name, so a valid 253-character pod name still gets a sandbox.
 */
export function podHostname(pod: ReadonlyDeep<Pod>): string {
  const hostname = pod.spec.hostname ?? pod.metadata.name ?? '';
  if (hostname.length <= maxHostnameLength) return hostname;
  return hostname.slice(0, maxHostnameLength).replace(/[-.]+$/, '');
}

export function sandboxConfig(pod: ReadonlyDeep<Pod>, logRoot: string): PodSandboxConfig {
  const { name = '', namespace = 'default', uid = '' } = pod.metadata;
  return {
    name, namespace, uid,
    hostname: podHostname(pod),
    labels: { ...pod.metadata.labels, [podNameLabel]: name, [podNamespaceLabel]: namespace, [podUIDLabel]: uid },
    annotations: { ...pod.metadata.annotations },
    logDirectory: podLogDirectory(logRoot, pod),
    shareProcessNamespace: pod.spec.shareProcessNamespace ?? false,
    resources: podResources(pod),
    hostNetwork: pod.spec.hostNetwork ?? false,
  };
}

export interface DownwardValues {
  nodeName: string;
  hostIP: string;
  podIP: string;
}

export function containerConfig(pod: ReadonlyDeep<Pod>, spec: ReadonlyDeep<Container>, attempt: number, values: DownwardValues): ContainerConfig {
  const securityContext = spec.securityContext;
  const podSecurityContext = pod.spec.securityContext;
  return {
    name: spec.name,
    image: spec.image ?? '',
    command: spec.command ? [...spec.command] : undefined,
    args: spec.args ? [...spec.args] : undefined,
    env: (spec.env ?? []).map((variable) => ({ name: variable.name, value: envValue(pod, variable, values) })),
    workingDir: spec.workingDir,
    runAsUser: securityContext?.runAsUser ?? podSecurityContext?.runAsUser,
    runAsGroup: securityContext?.runAsGroup ?? podSecurityContext?.runAsGroup,
    tty: spec.tty ?? false,
    stdin: spec.stdin ?? false,
    resources: containerResources(spec),
    attempt,
    labels: {
      [containerNameLabel]: spec.name,
      [podNameLabel]: pod.metadata.name ?? '',
      [podNamespaceLabel]: pod.metadata.namespace ?? 'default',
      [podUIDLabel]: pod.metadata.uid ?? '',
    },
    annotations: { 'io.kubernetes.container.restartCount': String(attempt) },
  };
}

/** Resolves an env var's value, including the downward API's fieldRef paths that the kubelet supports. */
function envValue(pod: ReadonlyDeep<Pod>, variable: ReadonlyDeep<EnvVar>, values: DownwardValues): string {
  if (variable.value !== undefined) return variable.value;
  const fieldRef = variable.valueFrom?.fieldRef as { fieldPath?: string } | undefined;
  switch (fieldRef?.fieldPath) {
    case 'metadata.name': return pod.metadata.name ?? '';
    case 'metadata.namespace': return pod.metadata.namespace ?? '';
    case 'metadata.uid': return pod.metadata.uid ?? '';
    case 'spec.nodeName': return values.nodeName;
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP': return values.hostIP;
    case 'status.podIP': return values.podIP;
    default: {
      const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldRef?.fieldPath ?? '');
      if (label) return (label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[label[2]] ?? '';
      // NOTE: secretKeyRef, configMapKeyRef and resourceFieldRef need objects tinykube does not serve yet; they read as empty.
      return '';
    }
  }
}
