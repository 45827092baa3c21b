// `tinykube down`: stops the cluster that `tinykube up` runs on a data dir and
// removes what it made on the host: the pods' processes, mounts, cgroups,
// network devices and iptables rules. Only what the runtime's records on
// disk list is removed, so nothing that tinykube did not make is touched.
//
// The data dir itself stays, with the images and the API objects, so the
// next `tinykube up` starts quickly and recreates the pods; --purge removes
// it as well.

import { rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dataDirFlag, parseFlags } from '../api/flags.js';
import { createLogger } from '../api/log.js';
import { cleanupRuntime, type CleanupFailure } from '../runtime/cleanup.js';
import { clusterPaths } from './cluster-paths.js';
import { defaultSettings, loadClusterSettings } from './cluster-settings.js';
import { mountsUnder } from './mounts.js';
import { processStartTime, removePidFile, runningProcess } from './pid-file.js';

const logger = createLogger('tinykube-down');

/** How long `tinykube up` may take to stop after SIGTERM before it is killed. */
const upStopTimeoutMs = 30_000;

const usage = 'tinykube down [--data-dir DIR] [--purge]';
const flags = {
  'data-dir': { ...dataDirFlag(), help: 'Directory of the cluster to remove' },
  purge: { type: 'boolean' as const, help: 'Also delete the data dir: images, API objects and the admin kubeconfig', default: false },
};

/** Returns the first line of an error's message, because a failed command's message goes on with its whole stderr. */
function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

async function waitForExit(pid: number, startTime: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (processStartTime(pid) !== startTime) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Stops the `tinykube up` process of this data dir, if one runs: SIGTERM, then SIGKILL after a timeout. */
async function stopUpProcess(pidFile: string): Promise<void> {
  const up = runningProcess(pidFile);
  if (!up) return;
  console.log(`Stopping tinykube up (PID ${up.pid})`);
  process.kill(up.pid, 'SIGTERM');
  if (await waitForExit(up.pid, up.startTime, upStopTimeoutMs)) return;
  logger.warn('tinykube up did not stop after SIGTERM; killing it', { pid: up.pid, timeoutSeconds: upStopTimeoutMs / 1000 });
  process.kill(up.pid, 'SIGKILL');
  await waitForExit(up.pid, up.startTime, 5_000);
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, usage, flags);
  if (!parsed) return 0;
  if (parsed.positionals.length > 0) throw new Error(`unexpected arguments: ${parsed.positionals.join(' ')}\n\nUsage: ${usage}`);
  if (process.getuid?.() !== 0) {
    console.error('tinykube down must run as root: it removes mounts, cgroups and network devices');
    return 1;
  }

  const paths = clusterPaths(parsed.values['data-dir']);
  if (!existsSync(paths.dataDir)) {
    console.log(`Nothing to remove: ${paths.dataDir} does not exist`);
    return 0;
  }

  await stopUpProcess(paths.pidFile);
  removePidFile(paths.pidFile);

  // The stored settings name what `tinykube up` made; a missing file means an
  // up that never got as far as saving them, which used the defaults.
  const settings = loadClusterSettings(paths.dataDir) ?? { nodeName: '', ...defaultSettings };
  // NOTE: a sandbox record stores its own IP and veth, which the teardown uses,
  // but not the bridge and pod CIDR. The CNI DEL config is built from the
  // stored settings, which `tinykube up` keeps fixed while any sandbox remains.
  const failures: CleanupFailure[] = [];
  if (existsSync(paths.runtime)) {
    failures.push(...await cleanupRuntime({
      dataDir: paths.runtime,
      bridgeName: settings.bridgeName,
      podCIDR: settings.podCIDR,
      cgroupRoot: settings.cgroupRoot,
      // Removal never resolves an image, so the image store stays closed.
      images: { resolve: async () => undefined },
    }));
  }
  if (failures.length > 0) {
    const lines = failures.map((failure) => `  ${failure.resource}: ${errorMessage(failure.error)}`);
    console.error(`tinykube down: could not remove everything the cluster made on this host:\n${lines.join('\n')}\n` +
      `The runtime state in ${paths.runtime} is kept, so \`tinykube down\` can retry once the cause is fixed`);
    return 1;
  }
  // The kubelet's pod dirs (container logs) describe pods that no longer run.
  await rm(paths.kubelet, { recursive: true, force: true });
  console.log(`Removed the pods, their mounts and cgroups under ${settings.cgroupRoot}, the bridge ${settings.bridgeName} and its NAT rule for ${settings.podCIDR}`);

  if (!parsed.values.purge) {
    console.log(`Kept ${paths.dataDir} with its images and API objects; \`tinykube down --purge\` deletes it`);
    return 0;
  }

  // fs.rm follows a recursive delete into mounted filesystems, so a mount
  // left under the data dir would have its contents (an image layer, or a
  // host dir bound into a container) deleted with it.
  const leftovers = mountsUnder(paths.dataDir);
  if (leftovers.length > 0) {
    console.error(`Not deleting ${paths.dataDir}: these mounts remain under it:\n  ${leftovers.join('\n  ')}`);
    return 1;
  }
  await rm(paths.dataDir, { recursive: true, force: true });
  console.log(`Deleted ${paths.dataDir}`);
  return 0;
}
