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

/** The defaults of `tinykube up`, for a data dir whose settings file is missing. */
export const defaultSettings: Omit<ClusterSettings, 'nodeName'> = {
  bridgeName: 'tinykube0',
  podCIDR: '10.244.0.0/24',
  cgroupRoot: 'tinykube',
};

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
