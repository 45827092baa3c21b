import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Pod } from '../../api/types.js';
import { milliCpuToQuota, milliCpuToShares, sharesToWeight } from '../../runtime/cgroups/convert.js';
import { findV1Mounts } from '../../runtime/cgroups/v1.js';
import { CgroupV2 } from '../../runtime/cgroups/v2.js';
import { qosClass } from '../../runtime/qos.js';
import type { QOSClass } from '../../runtime/cri.js';
import { newSandboxConfig, newTestRuntime, runToCompletion, startSleeper, type TestRuntime } from './fixtures.js';

let env: TestRuntime;
test.before(async () => {
  env = await newTestRuntime();
});
test.after.always(async () => {
  await env?.dispose();
});

const isV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const v1 = isV2 ? undefined : findV1Mounts();

function readV1(controller: 'memory' | 'cpu', path: string, file: string): string {
  return readFileSync(join(v1?.get(controller) ?? '', path, file), 'utf8').trim();
}

function readV2(path: string, file: string): string {
  return readFileSync(join('/sys/fs/cgroup', path, file), 'utf8').trim();
}

test('container limits are written to its cgroup', async (t) => {
  const config = newSandboxConfig(env.root, { resources: { qosClass: 'Burstable', memoryLimit: 64 * 2 ** 20, cpuLimit: 1000, cpuRequest: 250 } });
  const sandboxId = await env.runtime.runPodSandbox(config);
  const container = await startSleeper(env.runtime, sandboxId, { resources: { memoryLimit: 32 * 2 ** 20, cpuLimit: 500, cpuRequest: 250 } });
  const podPath = `${env.options.cgroupRoot}/burstable/pod${config.uid}`;
  const containerPath = `${podPath}/${container.id}`;

  if (v1) {
    t.is(readV1('memory', containerPath, 'memory.limit_in_bytes'), String(32 * 2 ** 20));
    t.is(readV1('cpu', containerPath, 'cpu.cfs_quota_us'), '50000');
    t.is(readV1('cpu', containerPath, 'cpu.cfs_period_us'), '100000');
    t.is(readV1('cpu', containerPath, 'cpu.shares'), '256');
    t.is(readV1('memory', podPath, 'memory.limit_in_bytes'), String(64 * 2 ** 20));
    t.is(readV1('cpu', podPath, 'cpu.cfs_quota_us'), '100000');
    t.is(readV1('cpu', podPath, 'cpu.shares'), '256');
    const procs = readV1('memory', containerPath, 'cgroup.procs').split('\n');
    t.true(procs.includes(String(container.pid)), 'PID 1 runs in the container cgroup');
  } else {
    t.is(readV2(containerPath, 'memory.max'), String(32 * 2 ** 20));
    t.is(readV2(containerPath, 'cpu.max'), '50000 100000');
    t.is(readV2(containerPath, 'cpu.weight'), '10');
    t.is(readV2(podPath, 'memory.max'), String(64 * 2 ** 20));
  }
  await env.runtime.removePodSandbox(sandboxId);
});

test('limit exceeded is reported as OOMKilled', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root, { resources: { qosClass: 'Burstable' } }));
  // The shell keeps the whole 64 MiB in a variable, twice the limit.
  const { status } = await runToCompletion(env.runtime, sandboxId, {
    command: ['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'],
    resources: { memoryLimit: 32 * 2 ** 20 },
  });
  t.is(status.reason, 'OOMKilled');
  t.is(status.exitCode, 137);
  await env.runtime.removePodSandbox(sandboxId);
});

test('a container within its limit is not OOMKilled', async (t) => {
  const sandboxId = await env.runtime.runPodSandbox(newSandboxConfig(env.root, { resources: { qosClass: 'Burstable' } }));
  const { status } = await runToCompletion(env.runtime, sandboxId, { command: ['sh', '-c', 'exit 3'], resources: { memoryLimit: 32 * 2 ** 20 } });
  t.is(status.reason, 'Error');
  t.is(status.exitCode, 3);
  await env.runtime.removePodSandbox(sandboxId);
});

test('cgroup v2 driver writes max, weight and swap', async (t) => {
  const mount = mkdtempSync(join(tmpdir(), 'tinykube-cgroup2-'));
  t.teardown(() => rmSync(mount, { recursive: true, force: true }));
  writeFileSync(join(mount, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  writeFileSync(join(mount, 'cgroup.subtree_control'), '');
  const driver = new CgroupV2(mount);
  await driver.create('tk/burstable/podx/c1', { memoryLimit: 1048576, cpuLimit: 500, cpuRequest: 250 });
  const leaf = join(mount, 'tk/burstable/podx/c1');
  t.is(readFileSync(join(leaf, 'memory.max'), 'utf8'), '1048576');
  t.is(readFileSync(join(leaf, 'cpu.max'), 'utf8'), '50000 100000');
  t.is(readFileSync(join(leaf, 'cpu.weight'), 'utf8'), '10');
  t.is(readFileSync(join(mount, 'cgroup.subtree_control'), 'utf8'), '+cpu +memory +pids');
});

const shareCases: [number | undefined, number][] = [[undefined, 2], [0, 2], [1, 2], [100, 102], [250, 256], [1000, 1024], [500_000, 262_144]];
for (const [milli, shares] of shareCases) {
  test(`milliCpuToShares(${milli}) is ${shares}`, (t) => {
    t.is(milliCpuToShares(milli), shares);
  });
}

const weightCases: [number, number][] = [[2, 1], [256, 10], [1024, 39], [262_144, 10_000]];
for (const [shares, weight] of weightCases) {
  test(`sharesToWeight(${shares}) is ${weight}`, (t) => {
    t.is(sharesToWeight(shares), weight);
  });
}

test('milliCpuToQuota follows the 100 ms period', (t) => {
  t.is(milliCpuToQuota(500), 50_000);
  t.is(milliCpuToQuota(2000), 200_000);
  t.is(milliCpuToQuota(5), 1000, 'clamped to the 1 ms minimum');
});

function pod(containers: { requests?: Record<string, string>; limits?: Record<string, string> }[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: containers.map((resources, index) => ({ name: `c${index}`, image: 'x', resources })) },
  };
}

const qosCases: [string, Pod, QOSClass][] = [
  ['no resources', pod([{}]), 'BestEffort'],
  ['limits equal requests', pod([{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }]), 'Guaranteed'],
  ['limits only default the requests', pod([{ limits: { cpu: '500m', memory: '128Mi' } }]), 'Guaranteed'],
  ['requests below limits', pod([{ requests: { cpu: '100m' }, limits: { cpu: '1', memory: '1Gi' } }]), 'Burstable'],
  ['one container without limits', pod([{ limits: { cpu: '1', memory: '1Gi' } }, {}]), 'Burstable'],
  ['memory limit only', pod([{ limits: { memory: '1Gi' } }]), 'Burstable'],
];
for (const [name, input, expected] of qosCases) {
  test(`qosClass: ${name}`, (t) => {
    t.is(qosClass(input), expected);
  });
}
