// Facts about this host that the Node object reports: system info from /etc
// and /proc, and the free memory, disk and pids behind the pressure conditions.

import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import type { NodeSystemInfo } from '../api/types.js';
import { kubeletVersion } from './version.js';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function osImage(): string {
  const line = readText('/etc/os-release').split('\n').find((entry) => entry.startsWith('PRETTY_NAME='));
  return line?.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '') || 'Linux';
}

export function goArch(): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return names[os.arch()] ?? os.arch();
}

export function systemInfo(containerRuntimeVersion: string): NodeSystemInfo {
  const machineID = readText('/etc/machine-id');
  return {
    machineID,
    systemUUID: readText('/sys/class/dmi/id/product_uuid') || machineID,
    bootID: readText('/proc/sys/kernel/random/boot_id'),
    kernelVersion: os.release(),
    osImage: osImage(),
    containerRuntimeVersion,
    kubeletVersion,
    kubeProxyVersion: '',
    operatingSystem: 'linux',
    architecture: goArch(),
  };
}

export function availableMemoryBytes(): number {
  const match = /^MemAvailable:\s+(\d+) kB/m.exec(readText('/proc/meminfo'));
  return match ? Number(match[1]) * 1024 : os.freemem();
}

export function diskAvailableFraction(path: string): number {
  try {
    const fs = statfsSync(path);
    return fs.blocks > 0 ? fs.bavail / fs.blocks : 1;
  } catch {
    return 1;
  }
}

/** Returns the share of pid_max in use, from the process count in /proc/loadavg. */
export function pidUsageFraction(): number {
  const total = Number(readText('/proc/loadavg').split(' ')[3]?.split('/')[1]);
  const max = Number(readText('/proc/sys/kernel/pid_max'));
  return total > 0 && max > 0 ? total / max : 0;
}
