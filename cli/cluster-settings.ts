// The settings a cluster's host resources are named by, saved by
// `tinykube up` in the data dir, so that `tinykube down` and `tinykube
// inspect` find the same bridge, cgroup root and node without flags.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ClusterSettings {
  nodeName: string;
  bridgeName: string;
  podCIDR: string;
  cgroupRoot: string;
}

/** The settings that name host resources: the bridge, the pods' addresses and the cgroups. */
export type HostSettings = Omit<ClusterSettings, 'nodeName'>;

/** The defaults of `tinykube up`, for a data dir whose settings file is missing. */
export const defaultSettings: HostSettings = {
  bridgeName: 'tinykube0',
  podCIDR: '10.244.0.0/24',
  cgroupRoot: 'tinykube',
};

/** The `tinykube up` flag of each host setting, for messages. */
const settingFlags: Record<keyof HostSettings, string> = {
  bridgeName: '--bridge',
  podCIDR: '--pod-cidr',
  cgroupRoot: '--cgroup-root',
};

/** A host setting that differs from the stored one while pods from the old one still run. */
export class SettingsConflictError extends Error {
  constructor(dataDir: string, conflicts: string[]) {
    super(`${dataDir} has pods made with other settings: ${conflicts.join(', ')}. ` +
      `Run \`tinykube down --data-dir ${dataDir}\` first to remove them, or start without these flags to keep the stored settings`);
    this.name = 'SettingsConflictError';
  }
}

function settingsFile(dataDir: string): string {
  return path.join(dataDir, 'cluster.json');
}

export function saveClusterSettings(dataDir: string, settings: ClusterSettings): void {
  writeFileSync(settingsFile(dataDir), JSON.stringify(settings, null, 2) + '\n');
}

/** Reads the saved settings; undefined when `tinykube up` never ran on this data dir. */
export function loadClusterSettings(dataDir: string): ClusterSettings | undefined {
  let text: string;
  try {
    text = readFileSync(settingsFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const saved = JSON.parse(text) as Partial<ClusterSettings>;
  return {
    nodeName: saved.nodeName ?? '',
    bridgeName: saved.bridgeName ?? defaultSettings.bridgeName,
    podCIDR: saved.podCIDR ?? defaultSettings.podCIDR,
    cgroupRoot: saved.cgroupRoot ?? defaultSettings.cgroupRoot,
  };
}

/**
 * Chooses the host settings of a start. A flag that was not given takes the
 * stored value, then the default. A flag that differs from the stored value
 * is taken only when no sandbox remains, and otherwise it throws
 * SettingsConflictError. The old pods' veths, addresses, NAT chains and
 * cgroups are named by the stored values, so `tinykube down` could no longer
 * find them after a change.
 */
export function resolveHostSettings(options: {
  dataDir: string;
  stored: HostSettings | undefined;
  requested: Partial<HostSettings>;
  hasSandboxes: boolean;
}): HostSettings {
  const { stored, requested } = options;
  const resolved: HostSettings = { ...defaultSettings, ...stored };
  const conflicts: string[] = [];
  for (const key of Object.keys(settingFlags) as (keyof HostSettings)[]) {
    const value = requested[key];
    if (value === undefined) continue;
    if (stored && stored[key] !== value && options.hasSandboxes) {
      conflicts.push(`${settingFlags[key]} is ${value}, but the stored value is ${stored[key]}`);
      continue;
    }
    resolved[key] = value;
  }
  if (conflicts.length > 0) throw new SettingsConflictError(options.dataDir, conflicts);
  return resolved;
}
