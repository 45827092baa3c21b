// Removes everything a runtime data dir made: every sandbox and container
// (processes, cgroups, veths, addresses), then the node bridge and its NAT
// rule, the empty cgroup levels, and the state on disk. `tinykube down` calls it.

import { rm } from 'node:fs/promises';

import { createLogger } from '../api/log.js';
import { LinuxRuntime, type RuntimeOptions } from './runtime.js';

const log = createLogger('runtime');

export async function cleanupRuntime(options: RuntimeOptions): Promise<void> {
  const runtime = new LinuxRuntime(options);
  await runtime.load();

  for (const sandbox of runtime.sandboxRecords()) {
    await runtime.removePodSandbox(sandbox.id).catch((error: unknown) => log.error('Failed to remove pod sandbox', { sandbox: sandbox.id, error }));
  }
  // Containers whose sandbox record is gone, from an interrupted removal.
  for (const container of runtime.containerRecords()) {
    await runtime.removeContainer(container.id).catch((error: unknown) => log.error('Failed to remove container', { container: container.id, error }));
  }

  // Holders or containers whose records were lost still sit in the cgroup tree.
  await runtime.cgroups.killAll(runtime.cgroupRoot, 5000);
  for (const qos of ['guaranteed', 'burstable', 'besteffort']) await runtime.cgroups.remove(`${runtime.cgroupRoot}/${qos}`);
  await runtime.cgroups.remove(runtime.cgroupRoot);
  await runtime.network.removeNodeNetwork();
  await rm(options.dataDir, { recursive: true, force: true });
  log.info('Removed runtime state', { dataDir: options.dataDir });
}
