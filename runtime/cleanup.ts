// Removes everything a runtime data dir made: every sandbox and container
// (processes, cgroups, veths, addresses), then the node bridge and its NAT
// rule, the empty cgroup levels, and the state on disk. `tinykube down` calls it.

import { rm } from 'node:fs/promises';

import { createLogger } from '../api/log.js';
import { LinuxRuntime, type RuntimeOptions } from './runtime.js';

const log = createLogger('runtime');

/** One removal step that failed, named by what it tried to remove. */
export interface CleanupFailure {
  resource: string;
  error: unknown;
}

/**
 * Removes what the runtime made and returns the steps that failed; an empty
 * list means the host is clean. Each step runs even when an earlier one
 * failed. The state on disk is kept after a failure, because it is the only
 * record of what remains, and a second run can retry from it.
 */
export async function cleanupRuntime(options: RuntimeOptions): Promise<CleanupFailure[]> {
  const runtime = new LinuxRuntime(options);
  await runtime.load();
  const failures: CleanupFailure[] = [];
  const attempt = async (resource: string, step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      log.error('Cleanup step failed', { resource, err: error });
      failures.push({ resource, error });
    }
  };

  for (const sandbox of runtime.sandboxRecords()) {
    const pod = `${sandbox.config.namespace}/${sandbox.config.name}`;
    await attempt(`pod sandbox ${sandbox.id} (pod ${pod}, IP ${sandbox.network?.ip ?? 'none'})`, () => runtime.removePodSandbox(sandbox.id));
  }
  // Containers whose sandbox record is gone, from an interrupted removal.
  for (const container of runtime.containerRecords()) {
    await attempt(`container ${container.id}`, () => runtime.removeContainer(container.id));
  }

  // Holders or containers whose records were lost still sit in the cgroup tree.
  await attempt(`the processes in cgroup ${runtime.cgroupRoot}`, () => runtime.cgroups.killAll(runtime.cgroupRoot, 5000));
  for (const qos of ['guaranteed', 'burstable', 'besteffort']) {
    await attempt(`cgroup ${runtime.cgroupRoot}/${qos}`, () => runtime.cgroups.remove(`${runtime.cgroupRoot}/${qos}`));
  }
  await attempt(`cgroup ${runtime.cgroupRoot}`, () => runtime.cgroups.remove(runtime.cgroupRoot));
  await attempt(`bridge ${options.bridgeName ?? 'tinykube0'} and its NAT rule`, () => runtime.network.removeNodeNetwork());

  if (failures.length > 0) return failures;
  await attempt(`runtime state ${options.dataDir}`, () => rm(options.dataDir, { recursive: true, force: true }));
  log.info('Removed runtime state', { dataDir: options.dataDir });
  return failures;
}
