// The life of one `tinykube up` cluster: `tinykube inspect pod` on a running
// pod, a restart of `tinykube up` that keeps the pod's containers running,
// and `tinykube down` on a running cluster, first keeping the data dir and
// then purging it. A restart with other network or cgroup settings is
// rejected while the pod runs, and inspect reports a stopped cluster plainly.

import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import path from 'node:path';
import { readKubeconfig } from '../../api/kubeconfig.js';
import { TestCluster, waitUntil } from './cluster.js';
import { bridgePorts, findLeftovers } from './host-state.js';

interface NamespaceView { type: string; inode: number; sharedWith: string[] }
interface ProcessView {
  name: string;
  pid?: number;
  namespaces: NamespaceView[];
  cgroup: { paths: string[]; memoryMax: string; cpuMax: string; cpuWeight: string };
  overlay?: { lowerdirs: string[]; upperdir: string; workdir: string; merged: string };
}
/** The fields of `tinykube inspect pod -o json` these tests read. */
interface Inspection {
  name: string;
  uid: string;
  pid: number;
  ip?: string;
  hostVeth?: string;
  processes: ProcessView[];
}

const podManifest = `
apiVersion: v1
kind: Pod
metadata:
  name: inspected
spec:
  containers:
  - name: app
    image: tinykube/base
    imagePullPolicy: Never
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    resources:
      limits:
        memory: 64Mi
        cpu: 250m
  - name: sidecar
    image: tinykube/base
    imagePullPolicy: Never
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
`;

let cluster: TestCluster;
const veths = new Set<string>();

async function inspect(): Promise<Inspection> {
  const result = await cluster.tinykube(['inspect', 'pod', 'inspected', '--kubeconfig', cluster.kubeconfig, '--data-dir', cluster.names.dataDir, '-o', 'json']);
  if (result.code !== 0) throw new Error(`tinykube inspect exited with ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Inspection;
}

function processNamed(inspection: Inspection, name: string): ProcessView {
  const found = inspection.processes.find((process) => process.name === name);
  if (!found) throw new Error(`inspect output has no process "${name}"`);
  return found;
}

function inode(process: ProcessView, type: string): number | undefined {
  return process.namespaces.find((namespace) => namespace.type === type)?.inode;
}

test.before(async (t) => {
  t.timeout(180_000);
  cluster = await TestCluster.create();
  await cluster.up();
  await cluster.kubectlOk(['apply', '-f', '-'], { input: podManifest });
  await waitUntil('the pod to run', 60_000, async () => (await cluster.jsonpath('default', 'pod/inspected', '{.status.phase}')) === 'Running');
  for (const name of bridgePorts(cluster.names.bridgeName)) veths.add(name);
});

test.after.always(async () => {
  await cluster?.destroy();
});

test.serial('up prints the kubeconfig to export', async (t) => {
  t.true(cluster.log.includes(`The admin kubeconfig is ${cluster.kubeconfig}.`));
  t.true(cluster.log.includes(`export KUBECONFIG=${cluster.kubeconfig}`));
  t.true(cluster.log.includes('Building the base image tinykube/base'), 'the first start builds the base image');

  const server = readKubeconfig(cluster.kubeconfig).server;
  const port = Number(new URL(server).port);
  t.true(port > 0, `--port 0 puts the chosen port in the kubeconfig: ${server}`);
  t.regex(await cluster.kubectlOk(['get', 'nodes', '--no-headers']), new RegExp(`^${cluster.nodeName}\\s+Ready\\s`));
});

test.serial('a second up on the same data dir is rejected', async (t) => {
  const second = await cluster.tinykube(['up', '--data-dir', cluster.names.dataDir, '--port', '0', '--kubelet-port', '0']);
  t.is(second.code, 1);
  t.regex(second.stderr, /A cluster already runs on .* \(PID \d+\)/);
});

test.serial('inspect pod shows the sandbox and its namespaces', async (t) => {
  const inspection = await inspect();
  const sandbox = processNamed(inspection, 'sandbox');
  const app = processNamed(inspection, 'app');
  const sidecar = processNamed(inspection, 'sidecar');
  t.is(inspection.uid, await cluster.jsonpath('default', 'pod/inspected', '{.metadata.uid}'));
  t.is(sandbox.pid, inspection.pid);

  for (const process of [sandbox, app, sidecar]) {
    for (const type of ['pid', 'ipc', 'uts', 'net', 'mnt']) {
      const link = await readlink(`/proc/${process.pid}/ns/${type}`);
      t.is(link, `${type}:[${inode(process, type)}]`, `${process.name}'s ${type} inode matches /proc`);
    }
  }
  for (const type of ['ipc', 'uts', 'net']) {
    t.is(inode(app, type), inode(sandbox, type), `app shares the sandbox's ${type} namespace`);
    t.is(inode(sidecar, type), inode(sandbox, type), `sidecar shares the sandbox's ${type} namespace`);
  }
  for (const type of ['pid', 'mnt']) {
    t.not(inode(app, type), inode(sidecar, type), `each container has its own ${type} namespace`);
  }
});

test.serial('inspect pod shows cgroup values, overlay dirs and network', async (t) => {
  const inspection = await inspect();
  const app = processNamed(inspection, 'app');
  t.is(app.cgroup.memoryMax, String(64 * 2 ** 20), 'limits.memory 64Mi is the memory limit in force');
  t.regex(app.cgroup.cpuMax, /25000/, 'limits.cpu 250m is a quota of 25000 µs per 100000 µs');
  for (const dir of app.cgroup.paths) t.true(existsSync(dir), `cgroup dir ${dir} exists`);

  const overlay = app.overlay;
  t.truthy(overlay);
  t.true((overlay?.lowerdirs.length ?? 0) >= 1);
  for (const dir of [...(overlay?.lowerdirs ?? []), overlay?.upperdir ?? '', overlay?.workdir ?? '']) t.true(existsSync(dir), `${dir} exists`);

  t.is(inspection.ip, await cluster.jsonpath('default', 'pod/inspected', '{.status.podIP}'));
  t.true(veths.has(inspection.hostVeth ?? ''), `${inspection.hostVeth} is a port of the bridge`);

  const text = await cluster.tinykube(['inspect', 'pod', 'inspected', '-n', 'default', '--kubeconfig', cluster.kubeconfig, '--data-dir', cluster.names.dataDir]);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, new RegExp(`Sandbox PID\\s+${inspection.pid}\\b`));
  t.regex(text.stdout, /^\s+net\s+\d+\s+\d+\s+\d+\s+shared: sandbox, app, sidecar/m);
  t.regex(text.stdout, /64 MiB/);
  t.regex(text.stdout, /upperdir\s+\//);
});

test.serial('inspect rejects a pod that does not exist', async (t) => {
  const result = await cluster.tinykube(['inspect', 'pod', 'no-such-pod', '--kubeconfig', cluster.kubeconfig, '--data-dir', cluster.names.dataDir]);
  t.is(result.code, 1);
  t.regex(result.stderr, /pod "no-such-pod" not found in namespace "default"/);
});

test.serial('restarting up keeps the containers running', async (t) => {
  t.timeout(150_000);
  const before = await inspect();
  const appPid = processNamed(before, 'app').pid;
  const containerID = await cluster.jsonpath('default', 'pod/inspected', '{.status.containerStatuses[0].containerID}');

  t.is(await cluster.stop(), 0, `tinykube up stops cleanly on SIGTERM:\n${cluster.log}`);
  t.true(existsSync(`/proc/${appPid}`), 'the container outlives tinykube up');

  // The running pod's veth, address, NAT chain and cgroups are named by the stored settings.
  const settingsFile = path.join(cluster.names.dataDir, 'cluster.json');
  const stored = readFileSync(settingsFile, 'utf8');
  const { dataDir, bridgeName, podCIDR, cgroupRoot } = cluster.names;
  const changes: [string, string, string][] = [['--bridge', 'tkbother0', bridgeName], ['--pod-cidr', '10.99.99.0/24', podCIDR], ['--cgroup-root', 'tinykube-other', cgroupRoot]];
  for (const [flag, value, storedValue] of changes) {
    const changed = await cluster.tinykube(['up', '--data-dir', dataDir, '--port', '0', '--kubelet-port', '0', flag, value], 30_000);
    t.is(changed.code, 1, `up with a different ${flag} is rejected while pods run:\n${changed.stdout}${changed.stderr}`);
    t.true(changed.stderr.includes(`${flag} is ${value}, but the stored value is ${storedValue}`), changed.stderr);
    t.true(changed.stderr.includes(`tinykube down --data-dir ${dataDir}`), changed.stderr);
  }
  t.is(readFileSync(settingsFile, 'utf8'), stored, 'a rejected start keeps the stored settings');

  await cluster.up();
  t.is(cluster.log.split('Building the base image').length - 1, 1, 'the second start reuses the base image');
  await waitUntil('the pod to be Ready again', 60_000,
    async () => (await cluster.jsonpath('default', 'pod/inspected', '{.status.conditions[?(@.type=="Ready")].status}')) === 'True');
  t.is(await cluster.jsonpath('default', 'pod/inspected', '{.status.containerStatuses[0].containerID}'), containerID);
  t.is(await cluster.jsonpath('default', 'pod/inspected', '{.status.containerStatuses[0].restartCount}'), '0');
  t.is(processNamed(await inspect(), 'app').pid, appPid);
  t.is((await cluster.kubectlOk(['exec', 'inspected', '-c', 'app', '--', 'cat', '/proc/sys/kernel/hostname'])).trim(), 'inspected');
});

test.serial('down stops a running cluster and leaves the host as it found it', async (t) => {
  t.timeout(120_000);
  for (const name of bridgePorts(cluster.names.bridgeName)) veths.add(name);

  const down = await cluster.down({ purge: false });
  t.is(down.code, 0, down.stderr);
  t.is(await cluster.waitForExit(5_000), 0, `down stops tinykube up:\n${cluster.log}`);

  const leftovers = findLeftovers(cluster.names, veths);
  t.deepEqual(leftovers.mounts, [], 'no mount names the data dir');
  t.deepEqual(leftovers.cgroups, [], 'no cgroup is left under the cgroup root');
  t.deepEqual(leftovers.links, [], 'neither the bridge nor a veth is left');
  t.deepEqual(leftovers.iptablesRules, [], 'no iptables rule names the pod CIDR or the bridge');
  t.deepEqual(leftovers.processes, [], 'no process is left in the cluster\'s cgroups');

  t.true(existsSync(path.join(cluster.names.dataDir, 'images')), 'down keeps the images');
  t.true(existsSync(cluster.kubeconfig), 'down keeps the admin kubeconfig');
  t.false(existsSync(path.join(cluster.names.dataDir, 'runtime')), 'down removes the runtime state');

  const inspectDown = await cluster.tinykube(['inspect', 'pod', 'inspected', '--kubeconfig', cluster.kubeconfig, '--data-dir', cluster.names.dataDir]);
  t.is(inspectDown.code, 1);
  const server = readKubeconfig(cluster.kubeconfig).server;
  t.is(inspectDown.stderr, `tinykube inspect: cannot reach the apiserver at ${server}; is the cluster running (tinykube up)?\n`);

  const purge = await cluster.down({ purge: true });
  t.is(purge.code, 0, purge.stderr);
  t.false(existsSync(cluster.names.dataDir), 'down --purge deletes the data dir');
});
