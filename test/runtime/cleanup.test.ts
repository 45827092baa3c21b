import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { findV1Mounts } from '../../runtime/cgroups/v1.js';
import { cleanupRuntime } from '../../runtime/cleanup.js';
import { newSandboxConfig, newTestRuntime, startSleeper } from './fixtures.js';

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('cleanup removes pods, cgroups, bridge and state', async (t) => {
  const env = await newTestRuntime();
  t.teardown(() => env.dispose());
  const pids: (number | undefined)[] = [];
  for (let index = 0; index < 2; index++) {
    const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root));
    pids.push((await env.runtime.podSandboxStatus(sandboxId)).pid);
    pids.push((await startSleeper(env.runtime, sandboxId)).pid);
  }
  t.true(existsSync(`/sys/class/net/${env.options.bridgeName}`));

  await cleanupRuntime(env.options);

  for (const pid of pids) t.false(alive(pid), `pid ${pid} is gone`);
  t.false(existsSync(`/sys/class/net/${env.options.bridgeName}`), 'bridge removed');
  t.false(existsSync(env.options.dataDir), 'data dir removed');
  const mounts = existsSync('/sys/fs/cgroup/cgroup.controllers') ? ['/sys/fs/cgroup'] : [...new Set(findV1Mounts().values())];
  for (const mount of mounts) t.false(existsSync(join(mount, env.options.cgroupRoot ?? 'tinykube')), `cgroup root removed in ${mount}`);
});
