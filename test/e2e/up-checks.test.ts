// Checks that `tinykube up` makes before it starts anything: invalid flags,
// the settings stored in the data dir, and a PID file left by a killed
// `tinykube up`. The last test checks the exit code of a failed
// `tinykube down`. None of these tests starts a cluster.

import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings, resolveHostSettings, SettingsConflictError } from '../../cli/cluster-settings.js';
import { runningProcess } from '../../cli/pid-file.js';
import { repoDir, runCommand } from './cluster.js';

const tinykubeBin = path.join(repoDir, 'bin', 'tinykube.js');

/** Flags that keep a start that passed validation by mistake away from the defaults, so it touches nothing shared. */
function uniqueFlags(dataDir: string): string[] {
  const suffix = randomBytes(3).toString('hex');
  return ['--data-dir', dataDir, '--port', '0', '--kubelet-port', '0', '--bridge', `tkb${suffix}`,
    '--pod-cidr', `10.${randomInt(100, 250)}.${randomInt(0, 256)}.0/24`, '--cgroup-root', `tinykube-check-${suffix}`];
}

const invalidFlags: { name: string; flags: string[]; message: RegExp }[] = [
  { name: 'prefix length 33', flags: ['--pod-cidr', '10.1.2.0/33'], message: /invalid --pod-cidr "10\.1\.2\.0\/33": .*prefix length 8-30/ },
  { name: 'malformed CIDR', flags: ['--pod-cidr', '10.1.2/24'], message: /invalid --pod-cidr "10\.1\.2\/24": .*expected an IPv4 CIDR/ },
  { name: 'octet over 255', flags: ['--pod-cidr', '10.1.256.0/24'], message: /invalid --pod-cidr "10\.1\.256\.0\/24"/ },
  { name: 'bridge of 16 characters', flags: ['--bridge', 'tkb0123456789abc'], message: /invalid --bridge "tkb0123456789abc": .*at most 15 characters/ },
  { name: 'bridge with a slash', flags: ['--bridge', 'tk/b'], message: /invalid --bridge "tk\/b": expected letters, digits/ },
  { name: 'cgroup root with ..', flags: ['--cgroup-root', '../escape'], message: /invalid --cgroup-root "\.\.\/escape"/ },
  { name: 'port over 65535', flags: ['--port', '65536'], message: /invalid --port "65536": expected a port from 0 to 65535/ },
  { name: 'negative kubelet port', flags: ['--kubelet-port=-1'], message: /invalid --kubelet-port "-1"/ },
  { name: 'bind address not an IP', flags: ['--bind-address', 'example'], message: /invalid --bind-address "example"/ },
  { name: 'node name with capitals', flags: ['--node-name', 'Node_1'], message: /invalid --node-name "Node_1": expected a lowercase RFC 1123 subdomain/ },
  { name: 'zero max pods', flags: ['--max-pods', '0'], message: /invalid --max-pods "0": expected a positive integer/ },
];

for (const { name, flags, message } of invalidFlags) {
  test(`up rejects ${name} before starting`, async (t) => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'tinykube-flags-'));
    const dataDir = path.join(parent, 'data');
    try {
      // The flag under test comes last, so it overrides the unique value of the same flag.
      const result = await runCommand(process.execPath, [tinykubeBin, 'up', ...uniqueFlags(dataDir), ...flags], { timeoutMs: 30_000 });
      t.is(result.code, 2, result.stderr);
      t.regex(result.stderr, message);
      t.false(existsSync(dataDir), 'a rejected start creates no data dir');
    } finally {
      // A start that passed validation by mistake must not outlive the test.
      if (existsSync(dataDir)) await runCommand(process.execPath, [tinykubeBin, 'down', '--data-dir', dataDir, '--purge'], { timeoutMs: 60_000 });
      await rm(parent, { recursive: true, force: true });
    }
  });
}

/** Reads field 22 of /proc/PID/stat, the start time that the PID file records. */
function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? '';
}

test('a zombie named by the PID file counts as stopped', async (t) => {
  // `sleep 0` exits at once, and the shell then becomes `sleep 30`, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => {
    parent.kill('SIGKILL');
  });
  const [chunk] = await once(parent.stdout, 'data') as [Buffer];
  const zombie = Number(chunk.toString('utf8').trim());
  const deadline = Date.now() + 5_000;
  while (!/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.regex(readFileSync(`/proc/${zombie}/stat`, 'utf8'), /^\d+ \(.*\) Z /, 'the child is a zombie');

  const dir = await mkdtemp(path.join(os.tmpdir(), 'tinykube-pid-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pidFile = path.join(dir, 'up.pid');
  await writeFile(pidFile, JSON.stringify({ pid: zombie, startTime: startTimeOf(zombie) }));
  t.is(runningProcess(pidFile), undefined);

  await writeFile(pidFile, JSON.stringify({ pid: process.pid, startTime: startTimeOf(process.pid) }));
  t.deepEqual(runningProcess(pidFile), { pid: process.pid, startTime: startTimeOf(process.pid) }, 'a live process still counts');
  await writeFile(pidFile, JSON.stringify({ pid: process.pid, startTime: '1' }));
  t.is(runningProcess(pidFile), undefined, 'a reused PID with another start time counts as stopped');
});

const stored = { bridgeName: 'tkbstored', podCIDR: '10.201.0.0/24', cgroupRoot: 'tinykube-stored' };

test('up takes stored settings for flags not given', (t) => {
  t.deepEqual(resolveHostSettings({ dataDir: '/d', stored, requested: {}, hasSandboxes: true }), stored);
  t.deepEqual(resolveHostSettings({ dataDir: '/d', stored: undefined, requested: {}, hasSandboxes: false }), defaultSettings);
  t.deepEqual(resolveHostSettings({ dataDir: '/d', stored, requested: { bridgeName: 'tkbstored' }, hasSandboxes: true }), stored, 'a flag equal to the stored value is no change');
});

test('up takes changed settings once no sandbox remains', (t) => {
  const requested = { bridgeName: 'tkbnew', podCIDR: '10.202.0.0/24', cgroupRoot: 'tinykube-new' };
  t.deepEqual(resolveHostSettings({ dataDir: '/d', stored, requested, hasSandboxes: false }), requested);
});

test('up rejects changed settings while sandboxes remain', (t) => {
  const error = t.throws(() => resolveHostSettings({ dataDir: '/d', stored, requested: { bridgeName: 'tkbnew', podCIDR: '10.202.0.0/24' }, hasSandboxes: true }), { instanceOf: SettingsConflictError });
  t.regex(error?.message ?? '', /--bridge is tkbnew, but the stored value is tkbstored/);
  t.regex(error?.message ?? '', /--pod-cidr is 10\.202\.0\.0\/24, but the stored value is 10\.201\.0\.0\/24/);
  t.regex(error?.message ?? '', /Run `tinykube down --data-dir \/d` first/);
});

test('down exits non-zero and names what it could not remove', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tinykube-downfail-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  await mkdir(path.join(dataDir, 'runtime', 'sandboxes'), { recursive: true });
  // A stored bridge name of `lo` makes the bridge removal fail, because the
  // kernel refuses to delete the loopback device. `unshare -n` runs down in a
  // network namespace of its own, so the host's devices are never touched.
  const cgroupRoot = `tinykube-downfail-${randomBytes(3).toString('hex')}`;
  await writeFile(path.join(dataDir, 'cluster.json'), JSON.stringify({ nodeName: 'downfail', bridgeName: 'lo', podCIDR: '10.213.7.0/24', cgroupRoot }));

  const down = await runCommand('unshare', ['-n', process.execPath, tinykubeBin, 'down', '--data-dir', dataDir], { timeoutMs: 60_000 });
  t.is(down.code, 1, down.stdout);
  t.regex(down.stderr, /tinykube down: could not remove everything the cluster made on this host:\n {2}bridge lo and its NAT rule: ip link del lo: /);
  t.notRegex(down.stdout, /^Removed the pods/m, 'down claims no success');
  t.true(existsSync(path.join(dataDir, 'runtime')), 'the runtime state stays for a retry');
});
