// The runtime's interface, shaped like the Kubernetes Container Runtime
// Interface (CRI, runtime.v1): the kubelet only ever calls these methods, so
// it never cares how a sandbox or a container is made.

import type { Readable, Writable } from 'node:stream';

export interface PodSandboxConfig {
  /** Pod name, namespace and uid, as in the pod's metadata. */
  name: string;
  namespace: string;
  uid: string;
  /** Set as the sandbox's UTS hostname; defaults to the pod name. */
  hostname?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Directory for the pod's container logs: <logDirectory>/<container>/<restartCount>.log */
  logDirectory: string;
  /** Share one pid namespace among all containers (`shareProcessNamespace: true`). */
  shareProcessNamespace?: boolean;
  /** Pod-level cgroup settings, from the QoS class and the sum of the containers' resources. */
  resources: PodResources;
  hostNetwork?: boolean;
  /** The pod's nameservers, written to every container's /etc/resolv.conf; the host's resolvers when empty. */
  dnsServers?: string[];
}

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export interface PodResources {
  qosClass: QOSClass;
  /** Bytes, or undefined for no limit. */
  memoryLimit?: number;
  /** Millicores, or undefined for no limit. */
  cpuLimit?: number;
  /** Millicores of cpu request, for cpu.shares / cpu.weight. */
  cpuRequest?: number;
}

export interface ContainerResources {
  memoryLimit?: number;
  memoryRequest?: number;
  cpuLimit?: number;
  cpuRequest?: number;
}

export interface ContainerConfig {
  name: string;
  /** Image reference as in the pod spec, such as `tinykube/base` or `lab-sleep:1`. */
  image: string;
  /** Kubernetes' command and args; the runtime combines them with the image's ENTRYPOINT and CMD. */
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  workingDir?: string;
  runAsUser?: number;
  runAsGroup?: number;
  tty?: boolean;
  stdin?: boolean;
  resources: ContainerResources;
  /** Restart count, used to name the log file. */
  attempt: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface PodSandboxStatus {
  id: string;
  state: SandboxState;
  createdAt: number; // ms since the epoch
  name: string;
  namespace: string;
  uid: string;
  /** The holder process, PID 1 of the pod's pid namespace, as seen from the host. */
  pid?: number;
  ip?: string;
  hostname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** `OOMKilled`, `Error` or `Completed` once exited, as the CRI reports it. */
  reason?: string;
  message?: string;
  image: string;
  imageRef: string; // sha256:<config digest>
  logPath: string;
  /** The container's PID 1 as seen from the host, while it runs. */
  pid?: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ExecOptions {
  command: string[];
  tty?: boolean;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Called with terminal size changes while a TTY session runs. */
  onResize?: (listener: (size: { columns: number; rows: number }) => void) => void;
  timeoutSeconds?: number;
  env?: { name: string; value: string }[];
  /** Aborting kills the command and its process group; exec then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ImageInfo {
  id: string; // sha256:<config digest>
  repoTags: string[];
  size: number;
  user?: string;
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceTime?: number; // ms since the epoch
  timestamps?: boolean;
  limitBytes?: number;
  signal?: AbortSignal;
}

export interface RuntimeService {
  version(): Promise<{ runtimeName: string; runtimeVersion: string }>;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  stopPodSandbox(sandboxId: string): Promise<void>;
  removePodSandbox(sandboxId: string): Promise<void>;
  podSandboxStatus(sandboxId: string): Promise<PodSandboxStatus>;
  listPodSandboxes(): Promise<PodSandboxStatus[]>;

  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** Sends SIGTERM to PID 1, waits up to timeoutSeconds, then SIGKILLs every process of the container's cgroup. */
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  containerStatus(containerId: string): Promise<ContainerStatus>;
  listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]>;

  /** Runs a command in a running container; resolves with its exit code. */
  exec(containerId: string, options: ExecOptions): Promise<number>;
  /** Streams a container's log in the CRI format's content, one line per call. */
  readLogs(containerId: string, options: LogOptions, write: (line: LogLine) => void): Promise<void>;
}

export interface LogLine {
  time: string; // RFC 3339 with nanoseconds, as in the CRI log file
  stream: 'stdout' | 'stderr';
  /** 'F' for a full line, 'P' for a partial one. */
  tag: 'F' | 'P';
  content: string;
}

export interface ImageService {
  listImages(): Promise<ImageInfo[]>;
  imageStatus(reference: string): Promise<ImageInfo | undefined>;
  removeImage(reference: string): Promise<void>;
}
