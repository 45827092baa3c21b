// The runtime's records on disk, one JSON file per sandbox and per container
// under the data dir, so a new runtime on the same data dir (a restarted
// kubelet) finds what the previous one started:
//   <dataDir>/sandboxes/<id>/sandbox.json, hostname, hosts, resolv.conf
//   <dataDir>/containers/<id>/container.json, exit, upper/, work/, rootfs/

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ContainerConfig, PodSandboxConfig } from './cri.js';
import type { PodNetwork } from './network/types.js';
import type { ProcessSpec } from './process-spec.js';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: number;
  hostname: string;
  /** The holder, with its start time to detect PID reuse. */
  pid: number;
  pidStartTime: number;
  /** `<cgroupRoot>/<qos>/pod<uid>`. */
  podCgroup: string;
  /** The holder's own leaf under the pod cgroup. */
  holderCgroup: string;
  network?: PodNetwork;
  stopped: boolean;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  createdAt: number;
  imageId: string;
  imageReference: string;
  layerDirs: string[];
  process: ProcessSpec;
  cgroup: string;
  logPath: string;
  startedAt?: number;
  pid?: number;
  pidStartTime?: number;
  /** tkinit's monitor, which writes the exit file once PID 1 exits. */
  monitorPid?: number;
  monitorStartTime?: number;
  /** Set when the process could not be started (reason StartError). */
  startError?: string;
}

/** The status line tkinit's monitor writes when the container's PID 1 exits. */
export interface ExitRecord {
  exitCode: number;
  signal: number;
  finishedAt: number;
}

export class StateStore {
  readonly sandboxesDir: string;
  readonly containersDir: string;

  constructor(readonly dataDir: string) {
    this.sandboxesDir = join(dataDir, 'sandboxes');
    this.containersDir = join(dataDir, 'containers');
  }

  sandboxDir(id: string): string {
    return join(this.sandboxesDir, id);
  }

  containerDir(id: string): string {
    return join(this.containersDir, id);
  }

  exitFile(containerId: string): string {
    return join(this.containerDir(containerId), 'exit');
  }

  async init(): Promise<void> {
    await mkdir(this.sandboxesDir, { recursive: true });
    await mkdir(this.containersDir, { recursive: true });
  }

  saveSandbox(record: SandboxRecord): Promise<void> {
    return writeJson(join(this.sandboxDir(record.id), 'sandbox.json'), record);
  }

  saveContainer(record: ContainerRecord): Promise<void> {
    return writeJson(join(this.containerDir(record.id), 'container.json'), record);
  }

  async loadSandboxes(): Promise<SandboxRecord[]> {
    return loadAll<SandboxRecord>(this.sandboxesDir, 'sandbox.json');
  }

  async loadContainers(): Promise<ContainerRecord[]> {
    return loadAll<ContainerRecord>(this.containersDir, 'container.json');
  }

  async readExit(containerId: string): Promise<ExitRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.exitFile(containerId), 'utf8');
    } catch {
      return undefined;
    }
    const [exitCode, signal, finishedNs] = text.trim().split(' ');
    return { exitCode: Number(exitCode), signal: Number(signal), finishedAt: Math.floor(Number(finishedNs) / 1e6) };
  }

  /** Records an exit the monitor could not write, such as a container killed with its monitor. */
  async writeExit(containerId: string, exit: ExitRecord): Promise<void> {
    const path = this.exitFile(containerId);
    await writeFile(`${path}.tmp`, `${exit.exitCode} ${exit.signal} ${exit.finishedAt * 1e6}\n`);
    await rename(`${path}.tmp`, path);
  }
}

/**
 * Writes through a rename, so a crash leaves the old record or the new one,
 * never half of one. Synchronous, because a record is small and its write
 * sits on the pod start path.
 */
async function writeJson(path: string, value: unknown): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${path}.tmp`, path);
}

async function loadAll<T>(directory: string, file: string): Promise<T[]> {
  const records: T[] = [];
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch {
    return records;
  }
  for (const entry of entries) {
    try {
      records.push(JSON.parse(await readFile(join(directory, entry, file), 'utf8')) as T);
    } catch {
      // A directory without a complete record is a creation that never finished; removal cleans it.
    }
  }
  return records;
}
