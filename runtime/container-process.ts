// Starting a container's process through tkinit's monitor.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { nativeArguments, runNative } from './native.js';
import { processStartTime } from './proc.js';
import { etcFiles } from './sandbox.js';
import type { ContainerRecord, SandboxRecord } from './state.js';

export interface LogRotation {
  maxBytes: number;
  maxFiles: number;
}

export interface ContainerPaths {
  directory: string;
  upperdir: string;
  workdir: string;
  rootfs: string;
  /** An empty lower layer for images with none, because overlayfs requires a lowerdir. */
  emptyLayer: string;
}

export function containerPaths(directory: string): ContainerPaths {
  return {
    directory,
    upperdir: join(directory, 'upper'),
    workdir: join(directory, 'work'),
    rootfs: join(directory, 'rootfs'),
    emptyLayer: join(directory, 'empty'),
  };
}

export async function makeContainerDirectories(paths: ContainerPaths): Promise<void> {
  await Promise.all([paths.upperdir, paths.workdir, paths.rootfs, paths.emptyLayer].map((directory) => mkdir(directory, { recursive: true })));
}

/** overlayfs lists lowerdirs top first, the reverse of the image's layer order. */
export function lowerdirOption(layerDirs: string[], emptyLayer: string): string {
  return layerDirs.length > 0 ? [...layerDirs].reverse().join(':') : emptyLayer;
}

export interface StartedProcess {
  pid: number;
  startTime: number;
  monitorPid: number | undefined;
  monitorStartTime: number | undefined;
}

export async function startContainerProcess(options: {
  record: ContainerRecord;
  sandbox: SandboxRecord;
  sandboxDir: string;
  paths: ContainerPaths;
  cgroupProcs: string[];
  exitFile: string;
  rotation: LogRotation;
}): Promise<StartedProcess> {
  const { record, sandbox, paths } = options;
  const args = nativeArguments({
    holder: sandbox.pid,
    sharepid: sandbox.config.shareProcessNamespace === true,
    cgroup: options.cgroupProcs,
    lowerdir: lowerdirOption(record.layerDirs, paths.emptyLayer),
    upperdir: paths.upperdir,
    workdir: paths.workdir,
    rootfs: paths.rootfs,
    bind: etcFiles.map((file) => `${join(options.sandboxDir, file)}:/etc/${file}`),
    env: record.process.env,
    cwd: record.process.cwd,
    uid: record.process.uid,
    gid: record.process.gid,
    groups: record.process.groups.length > 0 ? record.process.groups.join(',') : undefined,
    tty: record.config.tty === true,
    log: record.logPath,
    logmax: options.rotation.maxBytes,
    logfiles: options.rotation.maxFiles,
    exit: options.exitFile,
  });
  const { stdout, pid: monitorPid } = await runNative('start', [...args, '--', ...record.process.args], { untilFirstLine: true });
  const pid = Number(stdout.trim());
  const [startTime, monitorStartTime] = await Promise.all([processStartTime(pid), monitorPid === undefined ? undefined : processStartTime(monitorPid)]);
  // A command that exits at once may be gone before its start time is read. The exit file then records its status.
  return { pid, startTime: startTime ?? 0, monitorPid, monitorStartTime };
}
