// The runtime: pod sandboxes and containers made from Linux namespaces,
// overlayfs and cgroups, with tkinit (runtime/native) starting every process.
// State lives on disk (state.ts), so a new runtime on the same data dir finds
// the sandboxes and containers a previous one started.

import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';

import { createLogger } from '../api/log.js';
import { detectCgroupDriver, podCgroupPath, type CgroupDriver } from './cgroups/index.js';
import { containerPaths, makeContainerDirectories, startContainerProcess, type LogRotation } from './container-process.js';
import type {
  ContainerConfig, ContainerState, ContainerStatus, ExecOptions, LogLine, LogOptions,
  PodSandboxConfig, PodSandboxStatus, RuntimeService,
} from './cri.js';
import { execInContainer } from './exec.js';
import type { ImageResolver } from './image-resolver.js';
import { logFiles, readContainerLogs } from './logs.js';
import { assertNativeBuilt, NativeError } from './native.js';
import { BridgePlugin } from './network/bridge.js';
import { CniPlugin, cniBinDirs, findCniBinDir } from './network/cni.js';
import type { NetworkPlugin, PodNetwork, PreparedNetwork } from './network/types.js';
import { isProcessAlive, pollUntil, signalProcess } from './proc.js';
import { resolveProcessSpec } from './process-spec.js';
import { killHolder, startHolder, writeEtcFiles, type Holder } from './sandbox.js';
import { StateStore, type ContainerRecord, type ExitRecord, type SandboxRecord } from './state.js';

const log = createLogger('runtime');

export const runtimeName = 'tinykube';
export const runtimeVersion = '0.1.0';

export interface RuntimeOptions {
  dataDir: string;
  /** Node bridge name, at most 15 characters; default `tinykube0`. */
  bridgeName?: string;
  /** The node's pod CIDR; default 10.88.0.0/16. */
  podCIDR?: string;
  /** Top of the cgroup hierarchy, `<cgroupRoot>/<qos>/pod<uid>/<container>`; default `tinykube`. */
  cgroupRoot?: string;
  images: ImageResolver;
  /** NAT for traffic leaving the pod CIDR (an iptables MASQUERADE rule and IPv4 forwarding); default true. */
  masquerade?: boolean;
  /**
   * `cni` runs the standard CNI plugins, `bridge` the built-in iproute2 set-up;
   * `auto` (the default) picks CNI when /opt/cni/bin or /usr/lib/cni has them.
   */
  networkPlugin?: 'auto' | 'cni' | 'bridge';
  /** Log rotation: a container's log file is rotated past maxBytes, keeping maxFiles files; default 10 MiB and 5. */
  logRotation?: Partial<LogRotation>;
  /** Injected for tests of cgroup layouts; detected from /sys/fs/cgroup by default. */
  cgroups?: CgroupDriver;
}

export type Runtime = RuntimeService & { close(): Promise<void> };

/** Shown as the status of a container whose monitor died before writing the exit status. */
const lostExit: ExitRecord = { exitCode: 255, signal: 0, finishedAt: 0 };

function createNetworkPlugin(options: RuntimeOptions): NetworkPlugin {
  const settings = {
    dataDir: options.dataDir,
    bridgeName: options.bridgeName ?? 'tinykube0',
    podCIDR: options.podCIDR ?? '10.88.0.0/16',
    masquerade: options.masquerade ?? true,
  };
  const binDir = options.networkPlugin === 'bridge' ? undefined : findCniBinDir();
  if (binDir) return new CniPlugin({ ...settings, binDir });
  if (options.networkPlugin === 'cni') throw new Error(`networkPlugin is cni, but no CNI plugins were found in ${cniBinDirs.join(' or ')}`);
  return new BridgePlugin(settings);
}

/** The parts a sandbox start has made so far, for the cleanup after a failure. */
interface SandboxProgress {
  holder?: Holder;
  network?: PodNetwork;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function newId(): string {
  return randomBytes(16).toString('hex');
}

export class LinuxRuntime implements RuntimeService {
  readonly state: StateStore;
  readonly cgroups: CgroupDriver;
  readonly cgroupRoot: string;
  readonly network: NetworkPlugin;
  private readonly rotation: LogRotation;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();

  constructor(private readonly options: RuntimeOptions) {
    this.state = new StateStore(options.dataDir);
    this.cgroups = options.cgroups ?? detectCgroupDriver();
    this.cgroupRoot = options.cgroupRoot ?? 'tinykube';
    this.network = createNetworkPlugin(options);
    this.rotation = { maxBytes: options.logRotation?.maxBytes ?? 10 * 1024 * 1024, maxFiles: options.logRotation?.maxFiles ?? 5 };
  }

  async load(): Promise<void> {
    await this.state.init();
    for (const record of await this.state.loadSandboxes()) this.sandboxes.set(record.id, record);
    for (const record of await this.state.loadContainers()) this.containers.set(record.id, record);
    log.debug('Runtime ready', { dataDir: this.options.dataDir, cgroups: this.cgroups.version, network: this.network.name, sandboxes: this.sandboxes.size, containers: this.containers.size });
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    return { runtimeName, runtimeVersion };
  }

  // ---- sandboxes ----

  private sandbox(id: string): SandboxRecord {
    const record = this.sandboxes.get(id);
    if (!record) throw new Error(`pod sandbox ${id} not found`);
    return record;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = newId();
    const podCgroup = podCgroupPath(this.cgroupRoot, config.resources.qosClass, config.uid);
    const holderCgroup = `${podCgroup}/${id}`;
    const logger = log.with({ sandbox: id, pod: `${config.namespace}/${config.name}` });
    const progress: SandboxProgress = {};

    let record: SandboxRecord;
    try {
      record = await this.startSandbox(id, config, podCgroup, holderCgroup, progress);
    } catch (error) {
      logger.error('Failed to run pod sandbox', { error });
      await this.destroySandbox(id, progress, podCgroup, holderCgroup).catch((cleanupError: unknown) => logger.error('Failed to clean up pod sandbox', { error: cleanupError }));
      throw new Error(`run pod sandbox ${config.namespace}/${config.name}: ${errorMessage(error)}`, { cause: error });
    }
    this.sandboxes.set(id, record);
    logger.info('Started pod sandbox', { pid: record.pid, ip: record.network?.ip });
    return id;
  }

  /** Creates the cgroups, the holder and the network; PROGRESS records what exists for the cleanup of a failure. */
  private async startSandbox(id: string, config: PodSandboxConfig, podCgroup: string, holderCgroup: string, progress: SandboxProgress): Promise<SandboxRecord> {
    // A host-network pod keeps the node's uts namespace, so its hostname is the node's, as in Kubernetes.
    const hostname = config.hostNetwork ? osHostname() : config.hostname || config.name;
    const directory = this.state.sandboxDir(id);

    // Independent steps run together, because pod start latency is what the kubelet waits on.
    let prepared: PreparedNetwork | undefined;
    await Promise.all([
      mkdir(directory, { recursive: true }),
      mkdir(config.logDirectory, { recursive: true }),
      this.cgroups.create(podCgroup, config.resources).then(() => this.cgroups.create(holderCgroup, {})),
      // tkinit connects the network (rtnetlink or one CNI plugin) as it starts the holder, which saves process spawns.
      (async () => (prepared = config.hostNetwork ? undefined : await this.network.prepare?.(id)))(),
    ]);

    const holder = await startHolder({ sandboxId: id, hostname, hostNetwork: config.hostNetwork === true, cgroupProcs: this.cgroups.procsFiles(holderCgroup), network: prepared });
    progress.holder = holder;
    const record: SandboxRecord = { id, config, createdAt: Date.now(), hostname, pid: holder.pid, pidStartTime: holder.startTime, podCgroup, holderCgroup, stopped: false };
    if (prepared?.kind === 'veth') record.network = prepared.network;
    else if (prepared?.kind === 'cni') record.network = await prepared.finish(holder.cniResult);
    else if (!config.hostNetwork) record.network = await this.network.setUp(id, holder.pid);
    progress.network = record.network;

    await writeEtcFiles(directory, config, hostname, record.network?.ip);
    await this.state.saveSandbox(record);
    return record;
  }

  private async destroySandbox(id: string, progress: SandboxProgress, podCgroup: string, holderCgroup: string): Promise<void> {
    if (progress.holder) await killHolder(progress.holder);
    await this.cgroups.killAll(holderCgroup, 5000);
    await this.network.tearDown(id, progress.holder?.pid, progress.network);
    await this.cgroups.remove(podCgroup);
    await rm(this.state.sandboxDir(id), { recursive: true, force: true });
  }

  async stopPodSandbox(sandboxId: string): Promise<void> {
    const record = this.sandbox(sandboxId);
    for (const container of this.containersOf(sandboxId)) await this.stopContainer(container.id, 0);

    // Tear the network down while the holder still owns the netns: the CNI
    // bridge plugin finds the pod's address there, and without it DEL leaves
    // the pod's masquerade chain behind. A dead holder's PID may belong to
    // another process by now, so its namespace is used only if it is the same process.
    // A host-network holder sits in the node's own namespace, which no plugin may touch.
    if (!record.config.hostNetwork) {
      const holderAlive = await isProcessAlive(record.pid, record.pidStartTime);
      await this.network.tearDown(sandboxId, holderAlive ? record.pid : undefined, record.network);
    }
    await killHolder({ pid: record.pid, startTime: record.pidStartTime });
    await this.cgroups.killAll(record.holderCgroup, 5000);
    if (!record.stopped) {
      record.stopped = true;
      await this.state.saveSandbox(record);
      log.info('Stopped pod sandbox', { sandbox: sandboxId, pod: `${record.config.namespace}/${record.config.name}` });
    }
  }

  async removePodSandbox(sandboxId: string): Promise<void> {
    const record = this.sandboxes.get(sandboxId);
    if (!record) return; // NotFound after a removal counts as success.
    await this.stopPodSandbox(sandboxId);
    for (const container of this.containersOf(sandboxId)) await this.removeContainer(container.id);

    await this.cgroups.remove(record.podCgroup);
    // The QoS level and the root are shared with other pods: remove them only once empty.
    await this.cgroups.prune(dirname(record.podCgroup));
    await this.cgroups.prune(this.cgroupRoot);
    await rm(this.state.sandboxDir(sandboxId), { recursive: true, force: true });
    this.sandboxes.delete(sandboxId);
    log.info('Removed pod sandbox', { sandbox: sandboxId, pod: `${record.config.namespace}/${record.config.name}` });
  }

  async podSandboxStatus(sandboxId: string): Promise<PodSandboxStatus> {
    const record = this.sandbox(sandboxId);
    const ready = !record.stopped && (await isProcessAlive(record.pid, record.pidStartTime));
    return {
      id: record.id,
      state: ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
      createdAt: record.createdAt,
      name: record.config.name,
      namespace: record.config.namespace,
      uid: record.config.uid,
      pid: ready ? record.pid : undefined,
      ip: record.network?.ip,
      hostname: record.hostname,
      labels: record.config.labels ?? {},
      annotations: record.config.annotations ?? {},
    };
  }

  async listPodSandboxes(): Promise<PodSandboxStatus[]> {
    return Promise.all([...this.sandboxes.keys()].map((id) => this.podSandboxStatus(id)));
  }

  // ---- containers ----

  private container(id: string): ContainerRecord {
    const record = this.containers.get(id);
    if (!record) throw new Error(`container ${id} not found`);
    return record;
  }

  private containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((record) => record.sandboxId === sandboxId);
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const sandbox = this.sandbox(sandboxId);
    if (sandbox.stopped) throw new Error(`pod sandbox ${sandboxId} is stopped`);
    const image = await this.options.images.resolve(config.image);
    if (!image) throw new Error(`image ${config.image} not found`);
    const processSpec = await resolveProcessSpec(config, image, sandbox.hostname);

    const id = newId();
    const record: ContainerRecord = {
      id,
      sandboxId,
      config,
      createdAt: Date.now(),
      imageId: image.id,
      imageReference: image.reference,
      layerDirs: image.layerDirs,
      process: processSpec,
      cgroup: `${sandbox.podCgroup}/${id}`,
      logPath: join(sandbox.config.logDirectory, config.name, `${config.attempt}.log`),
    };
    try {
      await Promise.all([
        makeContainerDirectories(containerPaths(this.state.containerDir(id))),
        mkdir(dirname(record.logPath), { recursive: true }),
        this.cgroups.create(record.cgroup, config.resources),
      ]);
      await this.state.saveContainer(record);
    } catch (error) {
      await this.cgroups.remove(record.cgroup).catch(() => undefined);
      await rm(this.state.containerDir(id), { recursive: true, force: true });
      throw new Error(`create container ${config.name} in pod sandbox ${sandboxId}: ${errorMessage(error)}`, { cause: error });
    }
    this.containers.set(id, record);
    log.info('Created container', { container: id, name: config.name, sandbox: sandboxId, image: image.reference });
    return id;
  }

  async startContainer(containerId: string): Promise<void> {
    const record = this.container(containerId);
    if (record.startedAt !== undefined || record.startError !== undefined) throw new Error(`container ${containerId} was already started`);
    const sandbox = this.sandbox(record.sandboxId);
    if (!(await isProcessAlive(sandbox.pid, sandbox.pidStartTime))) throw new Error(`pod sandbox ${sandbox.id} is not running`);

    try {
      const started = await startContainerProcess({
        record,
        sandbox,
        sandboxDir: this.state.sandboxDir(sandbox.id),
        paths: containerPaths(this.state.containerDir(containerId)),
        cgroupProcs: this.cgroups.procsFiles(record.cgroup),
        exitFile: this.state.exitFile(containerId),
        rotation: this.rotation,
      });
      record.startedAt = Date.now();
      record.pid = started.pid;
      record.pidStartTime = started.startTime;
      record.monitorPid = started.monitorPid;
      record.monitorStartTime = started.monitorStartTime;
      await this.state.saveContainer(record);
      log.info('Started container', { container: containerId, name: record.config.name, sandbox: sandbox.id, pid: started.pid });
    } catch (error) {
      // As in containerd, a process that never ran exits with 128 and reason StartError.
      record.startError = error instanceof NativeError ? error.message : String(error);
      await this.state.saveContainer(record);
      await this.state.writeExit(containerId, { exitCode: 128, signal: 0, finishedAt: Date.now() });
      log.error('Failed to start container', { container: containerId, name: record.config.name, error });
      throw new Error(`start container ${record.config.name}: ${record.startError}`, { cause: error });
    }
  }

  private async isRunning(record: ContainerRecord): Promise<boolean> {
    if (record.pid === undefined || record.pidStartTime === undefined) return false;
    if (await this.state.readExit(record.id)) return false;
    return isProcessAlive(record.pid, record.pidStartTime);
  }

  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    const record = this.container(containerId);
    if (record.pid === undefined) return; // never started
    const pid = record.pid;
    const logger = log.with({ container: containerId, name: record.config.name, pid });
    const wasRunning = await this.isRunning(record);

    if (wasRunning && timeoutSeconds > 0) {
      signalProcess(pid, 'SIGTERM');
      const exited = await pollUntil(async () => !(await this.isRunning(record)), timeoutSeconds * 1000, 20);
      if (exited) logger.info('Container exited on SIGTERM');
    }
    // Also after PID 1 exits: in a shared pid namespace its orphans stay in the cgroup.
    await this.cgroups.killAll(record.cgroup, 5000);
    if (!wasRunning) return;

    // The monitor writes the exit status right after PID 1 dies; allow it a moment.
    const recorded = await pollUntil(async () => (await this.state.readExit(containerId)) !== undefined, 2000, 10);
    if (!recorded) await this.state.writeExit(containerId, { exitCode: 137, signal: 9, finishedAt: Date.now() });
    logger.info('Stopped container');
  }

  async removeContainer(containerId: string): Promise<void> {
    const record = this.containers.get(containerId);
    if (!record) return;
    await this.stopContainer(containerId, 0);
    await this.cgroups.killAll(record.cgroup, 5000);
    await this.cgroups.remove(record.cgroup);
    for (const file of await logFiles(record.logPath)) await rm(file, { force: true });
    await rm(this.state.containerDir(containerId), { recursive: true, force: true });
    this.containers.delete(containerId);
    log.info('Removed container', { container: containerId, name: record.config.name, sandbox: record.sandboxId });
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    const record = this.container(containerId);
    const status: ContainerStatus = {
      id: record.id,
      sandboxId: record.sandboxId,
      name: record.config.name,
      attempt: record.config.attempt,
      state: 'CONTAINER_CREATED',
      createdAt: record.createdAt,
      startedAt: record.startedAt,
      image: record.config.image,
      imageRef: record.imageId,
      logPath: record.logPath,
      labels: record.config.labels ?? {},
      annotations: record.config.annotations ?? {},
    };
    if (record.startError !== undefined) {
      return { ...status, state: 'CONTAINER_EXITED', exitCode: 128, reason: 'StartError', message: record.startError, finishedAt: record.createdAt };
    }
    if (record.pid === undefined) return status;

    let exit = await this.state.readExit(record.id);
    if (!exit && record.pidStartTime !== undefined && (await isProcessAlive(record.pid, record.pidStartTime))) {
      return { ...status, state: 'CONTAINER_RUNNING', pid: record.pid };
    }
    // PID 1 is gone but the monitor may still be draining its output before it writes the exit status.
    if (!exit) exit = await this.waitForExitRecord(record, 1000);
    const final = exit ?? lostExit;
    const oomKilled = await this.cgroups.oomKilled(record.cgroup).catch(() => false);
    const reason = oomKilled ? 'OOMKilled' : final.exitCode === 0 ? 'Completed' : 'Error';
    const state: ContainerState = 'CONTAINER_EXITED';
    return {
      ...status,
      state,
      exitCode: final.exitCode,
      reason,
      message: exit ? undefined : 'the exit status was lost: the container monitor ended before the container',
      finishedAt: exit?.finishedAt,
    };
  }

  private async waitForExitRecord(record: ContainerRecord, timeoutMs: number): Promise<ExitRecord | undefined> {
    let exit: ExitRecord | undefined;
    await pollUntil(async () => {
      exit = await this.state.readExit(record.id);
      if (exit) return true;
      return record.monitorPid === undefined || !(await isProcessAlive(record.monitorPid, record.monitorStartTime ?? 0));
    }, timeoutMs, 5);
    return exit ?? this.state.readExit(record.id);
  }

  async listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]> {
    const records = [...this.containers.values()].filter((record) => !filter?.sandboxId || record.sandboxId === filter.sandboxId);
    return Promise.all(records.map((record) => this.containerStatus(record.id)));
  }

  async exec(containerId: string, options: ExecOptions): Promise<number> {
    const record = this.container(containerId);
    if (!(await this.isRunning(record)) || record.pid === undefined) throw new Error(`container ${containerId} is not running`);
    return execInContainer({ pid: record.pid, cgroupProcs: this.cgroups.procsFiles(record.cgroup), process: record.process }, options);
  }

  async readLogs(containerId: string, options: LogOptions, write: (line: LogLine) => void): Promise<void> {
    const record = this.container(containerId);
    await readContainerLogs(record.logPath, options, () => this.isRunning(record), write);
  }

  /** Returns the sandbox records, read-only, for inspect and cleanup. */
  sandboxRecords(): readonly SandboxRecord[] {
    return [...this.sandboxes.values()];
  }

  containerRecords(): readonly ContainerRecord[] {
    return [...this.containers.values()];
  }

  async close(): Promise<void> {
    // Nothing runs in this process between calls: holders and monitors are native and stay up on purpose.
  }
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  assertNativeBuilt();
  const runtime = new LinuxRuntime(options);
  await runtime.load();
  return runtime;
}
