// An in-memory runtime for kubelet tests. Containers do nothing real.
// Their command is a tiny script that the fake interprets, as follows.
//   (no command)             runs until stopped, and SIGTERM ends it with 143
//   ['exit', code, ms?]      exits with code after ms (50 by default)
//   ['oom', ms?]             exits with 137 and reason OOMKilled
//   ['ignore-term']          runs until stopped, ignoring SIGTERM, so only SIGKILL (137) ends it
//   ['log', line, ...rest]   writes line to its log, then runs rest
// exec understands ['true'], ['false'], ['exit', code], ['echo', ...words], ['cat']
// and ['sleep', seconds]; anything else goes to the onExec hook or exits 127.

import { randomBytes } from 'node:crypto';
import type {
  ContainerConfig, ContainerStatus, ExecOptions, ImageInfo, ImageService, LogLine, LogOptions,
  PodSandboxConfig, PodSandboxStatus, RuntimeService,
} from '../../runtime/cri.js';

interface FakeContainer {
  status: ContainerStatus;
  config: ContainerConfig;
  logs: LogLine[];
  timer?: NodeJS.Timeout;
  ignoresTerm: boolean;
}

export interface ExecCall {
  containerId: string;
  command: string[];
}

export class FakeRuntime implements RuntimeService, ImageService {
  readonly images = new Set<string>(['tinykube/base']);
  readonly sandboxes = new Map<string, PodSandboxStatus & { config: PodSandboxConfig }>();
  readonly containers = new Map<string, FakeContainer>();
  readonly execCalls: ExecCall[] = [];
  onExec?: (containerId: string, options: ExecOptions) => Promise<number> | number;
  private nextIP = 2;

  async version() {
    return { runtimeName: 'fake', runtimeVersion: '0.1.0' };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = randomBytes(16).toString('hex');
    this.sandboxes.set(id, {
      id, state: 'SANDBOX_READY', createdAt: Date.now(), name: config.name, namespace: config.namespace, uid: config.uid,
      ip: `10.244.${Math.floor(this.nextIP / 250)}.${(this.nextIP++ % 250) + 2}`, hostname: config.hostname ?? config.name,
      labels: { ...config.labels }, annotations: { ...config.annotations }, config,
    });
    return id;
  }

  async stopPodSandbox(sandboxId: string): Promise<void> {
    const sandbox = this.sandboxes.get(sandboxId);
    if (!sandbox) return;
    for (const container of this.containers.values()) {
      if (container.status.sandboxId === sandboxId && container.status.state === 'CONTAINER_RUNNING') this.exit(container, 137);
    }
    sandbox.state = 'SANDBOX_NOTREADY';
  }

  async removePodSandbox(sandboxId: string): Promise<void> {
    for (const [id, container] of this.containers) if (container.status.sandboxId === sandboxId) this.containers.delete(id);
    this.sandboxes.delete(sandboxId);
  }

  async podSandboxStatus(sandboxId: string): Promise<PodSandboxStatus> {
    const sandbox = this.sandboxes.get(sandboxId);
    if (!sandbox) throw new Error(`sandbox ${sandboxId} not found`);
    const { config: _config, ...status } = sandbox;
    return structuredClone(status);
  }

  async listPodSandboxes(): Promise<PodSandboxStatus[]> {
    return Promise.all([...this.sandboxes.keys()].map((id) => this.podSandboxStatus(id)));
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    if (!this.sandboxes.has(sandboxId)) throw new Error(`sandbox ${sandboxId} not found`);
    if (!this.images.has(config.image)) throw new Error(`image ${config.image} not found`);
    const id = randomBytes(16).toString('hex');
    this.containers.set(id, {
      config, logs: [], ignoresTerm: false,
      status: {
        id, sandboxId, name: config.name, attempt: config.attempt, state: 'CONTAINER_CREATED', createdAt: Date.now(),
        image: config.image, imageRef: `sha256:${Buffer.from(config.image).toString('hex').padEnd(64, '0').slice(0, 64)}`,
        logPath: `/fake/${id}.log`, labels: { ...config.labels }, annotations: { ...config.annotations },
      },
    });
    return id;
  }

  async startContainer(containerId: string): Promise<void> {
    const container = this.get(containerId);
    container.status.state = 'CONTAINER_RUNNING';
    container.status.startedAt = Date.now();
    container.status.pid = 1000 + this.containers.size;
    this.runScript(container, [...(container.config.command ?? []), ...(container.config.args ?? [])]);
  }

  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    const container = this.get(containerId);
    if (container.status.state !== 'CONTAINER_RUNNING') {
      if (container.status.state === 'CONTAINER_CREATED') this.exit(container, 0);
      return;
    }
    if (!container.ignoresTerm) return this.exit(container, 143);
    await new Promise((resolve) => setTimeout(resolve, timeoutSeconds * 1000));
    if (container.status.state === 'CONTAINER_RUNNING') this.exit(container, 137);
  }

  async removeContainer(containerId: string): Promise<void> {
    const container = this.containers.get(containerId);
    clearTimeout(container?.timer);
    this.containers.delete(containerId);
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    return structuredClone(this.get(containerId).status);
  }

  async listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]> {
    return [...this.containers.values()]
      .filter((container) => filter?.sandboxId === undefined || container.status.sandboxId === filter.sandboxId)
      .map((container) => structuredClone(container.status));
  }

  async exec(containerId: string, options: ExecOptions): Promise<number> {
    const container = this.get(containerId);
    if (container.status.state !== 'CONTAINER_RUNNING') throw new Error(`container ${containerId} is not running`);
    this.execCalls.push({ containerId, command: options.command });
    const [program, ...args] = options.command;
    switch (program) {
      case 'true': return 0;
      case 'false': return 1;
      case 'exit': return Number(args[0]);
      case 'echo':
        options.stdout?.write(`${args.join(' ')}\n`);
        return 0;
      case 'sleep':
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, Number(args[0]) * 1000);
          options.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new Error(`exec ${JSON.stringify(options.command)} was cancelled`));
          }, { once: true });
        });
        return 0;
      case 'cat': {
        const stdin = options.stdin;
        if (!stdin) return 0;
        for await (const chunk of stdin) options.stdout?.write(chunk as Buffer);
        return 0;
      }
    }
    if (this.onExec) return this.onExec(containerId, options);
    options.stderr?.write(`${program}: not found\n`);
    return 127;
  }

  async readLogs(containerId: string, options: LogOptions, write: (line: LogLine) => void): Promise<void> {
    const container = this.get(containerId);
    let lines = container.logs.filter((line) => options.sinceTime === undefined || Date.parse(line.time) >= options.sinceTime);
    if (options.tailLines !== undefined) lines = lines.slice(Math.max(0, lines.length - options.tailLines));
    lines.forEach(write);
    let sent = container.logs.length;
    while (options.follow && !options.signal?.aborted && container.status.state === 'CONTAINER_RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      container.logs.slice(sent).forEach(write);
      sent = container.logs.length;
    }
  }

  async listImages(): Promise<ImageInfo[]> {
    return [...this.images].map((reference) => this.imageInfo(reference));
  }

  async imageStatus(reference: string): Promise<ImageInfo | undefined> {
    return this.images.has(reference) ? this.imageInfo(reference) : undefined;
  }

  async removeImage(reference: string): Promise<void> {
    this.images.delete(reference);
  }

  /** Appends a line to a running container's log, as if it printed it. */
  log(containerId: string, content: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.get(containerId).logs.push({ time: new Date().toISOString(), stream, tag: 'F', content });
  }

  /** Makes a running container exit now, as if its process ended. */
  kill(containerId: string, exitCode: number, reason?: string): void {
    this.exit(this.get(containerId), exitCode, reason);
  }

  /** Stops every timer, so a test process can end. */
  close(): void {
    for (const container of this.containers.values()) clearTimeout(container.timer);
  }

  private imageInfo(reference: string): ImageInfo {
    return { id: `sha256:${Buffer.from(reference).toString('hex').padEnd(64, '0').slice(0, 64)}`, repoTags: [reference], size: 1024 };
  }

  private get(containerId: string): FakeContainer {
    const container = this.containers.get(containerId);
    if (!container) throw new Error(`container ${containerId} not found`);
    return container;
  }

  private runScript(container: FakeContainer, script: string[]): void {
    const [program, ...args] = script;
    switch (program) {
      case 'log':
        this.log(container.status.id, args[0] ?? '');
        return this.runScript(container, args.slice(1));
      case 'exit':
        container.timer = setTimeout(() => this.exit(container, Number(args[0])), Number(args[1] ?? 50));
        return;
      case 'oom':
        container.timer = setTimeout(() => this.exit(container, 137, 'OOMKilled'), Number(args[0] ?? 50));
        return;
      case 'ignore-term':
        container.ignoresTerm = true;
        return;
    }
  }

  private exit(container: FakeContainer, exitCode: number, reason?: string): void {
    clearTimeout(container.timer);
    if (container.status.state === 'CONTAINER_EXITED') return;
    container.status.state = 'CONTAINER_EXITED';
    container.status.exitCode = exitCode;
    container.status.finishedAt = Date.now();
    container.status.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    container.status.startedAt ??= container.status.finishedAt;
    delete container.status.pid;
  }
}
