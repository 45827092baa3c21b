// The labs in manifests/, run in their numbered order through the real
// kubectl against `tinykube up`, and then `tinykube down`, which must leave
// the host as it found it.

import test from 'ava';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { manifestsDir, runCommand, TestCluster, waitUntil } from './cluster.js';
import { bridgePorts, findLeftovers } from './host-state.js';
import { cpuPercent, hostPidOf } from './processes.js';

const podTimeoutMs = 60_000;
const rolloutTimeout = '120s';
const lab = (file: string) => path.join(manifestsDir, file);

let cluster: TestCluster;
/** Host ends of the pods' veth pairs seen while pods ran, to check that down removes them. */
const veths = new Set<string>();

function recordVeths(): void {
  for (const name of bridgePorts(cluster.names.bridgeName)) veths.add(name);
}

test.before(async (t) => {
  t.timeout(180_000);
  cluster = await TestCluster.create();
  await cluster.up();
});

test.after.always(async () => {
  await cluster?.destroy();
});

test.serial('lab images build from their Dockerfiles', async (t) => {
  t.timeout(180_000);
  const result = await runCommand(lab('build-images.sh'), [], {
    timeoutMs: 170_000,
    env: { TINYKUBE_DATA_DIR: cluster.names.dataDir },
  });
  t.is(result.code, 0, result.stderr);
  t.true(result.stdout.includes(`Building the lab images into the data dir ${cluster.names.dataDir} `), result.stdout);
  const images = await cluster.tinykube(['image', 'ls']);
  for (const image of ['hello-world', 'sleeping-app-image', 'sleeping-app-image-100', 'sleeping-app-image-200',
    'mem-hogger-image', 'cpu-hogger1-image', 'cpu-hogger2-image']) {
    t.regex(images.stdout, new RegExp(`\\b${image}\\b`), `image ls lists ${image}`);
  }
});

test.serial('hello-world pod completes and logs', async (t) => {
  await cluster.kubectlOk(['apply', '-f', lab('01-hello-world/hello-world-pod.yml')]);
  await waitUntil('hello-world-pod to succeed', podTimeoutMs,
    async () => (await cluster.jsonpath('default', 'pod/hello-world-pod', '{.status.phase}')) === 'Succeeded');

  const row = await cluster.kubectlOk(['get', 'pod', 'hello-world-pod', '--no-headers']);
  t.regex(row, /^hello-world-pod\s+0\/1\s+Completed\s+0\s/);
  const logs = await cluster.kubectlOk(['logs', 'hello-world-pod']);
  t.regex(logs, /Hello from a tinykube container/);
  t.regex(logs, /hostname: hello-world-pod/);
  t.regex(logs, /my PID: 1\b/);
});

test.serial('kubectl run starts a pod to exec into', async (t) => {
  await cluster.kubectlOk(['run', 'my-first-pod', '--image=sleeping-app-image', '--image-pull-policy=Never', '--restart=Never']);
  await waitUntil('my-first-pod to run', podTimeoutMs,
    async () => (await cluster.jsonpath('default', 'pod/my-first-pod', '{.status.phase}')) === 'Running');
  recordVeths();

  const processes = await cluster.kubectlOk(['exec', 'my-first-pod', '--', 'ps', '-o', 'pid,args']);
  t.regex(processes, /^\s*1\s+\/bin\/sh \/sleep\.sh/m, 'the image command is PID 1');
  t.true(processes.trim().split('\n').length <= 6, `only the container's own processes are visible:\n${processes}`);
  t.is((await cluster.kubectlOk(['exec', 'my-first-pod', '--', 'cat', '/proc/sys/kernel/hostname'])).trim(), 'my-first-pod');

  const exit = await cluster.kubectl(['exec', 'my-first-pod', '--', 'sh', '-c', 'exit 3']);
  t.is(exit.code, 3, 'kubectl exec returns the command\'s exit code');

  await cluster.kubectlOk(['delete', 'pod', 'my-first-pod', '--wait=true'], { timeoutMs: 90_000 });
});

test.serial('replica set keeps its pods running', async (t) => {
  t.timeout(180_000);
  const readyReplicas = () => cluster.jsonpath('default', 'rs/my-replica-set', '{.status.readyReplicas}');
  const podNames = async () => (await cluster.kubectlOk(['get', 'pods', '-l', 'app-name=sleeping-app-rs', '-o', 'name'])).trim().split('\n').filter(Boolean);

  await cluster.kubectlOk(['apply', '-f', lab('02-replicaset/replicaset.yml')]);
  await waitUntil('3 ready replicas', podTimeoutMs, async () => (await readyReplicas()) === '3');
  t.is((await podNames()).length, 3);
  recordVeths();

  await cluster.kubectlOk(['scale', 'rs', '--replicas=5', 'my-replica-set']);
  await waitUntil('5 ready replicas', podTimeoutMs, async () => (await readyReplicas()) === '5');

  const [victim] = await podNames();
  t.truthy(victim);
  await cluster.kubectlOk(['delete', victim ?? '', '--wait=true'], { timeoutMs: 90_000 });
  await waitUntil('a replacement pod', podTimeoutMs, async () => (await readyReplicas()) === '5' && !(await podNames()).includes(victim ?? ''));
  t.is((await podNames()).length, 5);

  await cluster.kubectlOk(['delete', 'rs', 'my-replica-set']);
  await waitUntil('the replica set\'s pods to go', 90_000, async () => (await podNames()).length === 0);
});

test.serial('deployment rolls between image versions', async (t) => {
  t.timeout(300_000);
  const images = async () => (await cluster.jsonpath('default', 'pods', '{range .items[*]}{.metadata.labels.app-name} {.spec.containers[0].image} {.metadata.deletionTimestamp}{"\\n"}{end}'))
    .split('\n').filter((line) => line.startsWith('sleeping-app ')).map((line) => line.trim().split(' ')[1]);
  const allAt = async (image: string) => {
    const current = await images();
    return current.length === 6 && current.every((name) => name === image);
  };
  const rolloutStatus = () => cluster.kubectlOk(['rollout', 'status', 'deployment/my-deployment', `--timeout=${rolloutTimeout}`], { timeoutMs: 130_000, requestTimeout: '0' });

  await cluster.kubectlOk(['apply', '-f', lab('03-deployment/deployment.yml')]);
  await rolloutStatus();
  await waitUntil('6 pods at version 100', podTimeoutMs, () => allAt('sleeping-app-image-100'));
  recordVeths();

  await cluster.kubectlOk(['set', 'image', 'deployment/my-deployment', 'sleeping-app-container=sleeping-app-image-200']);
  await rolloutStatus();
  await waitUntil('6 pods at version 200', podTimeoutMs, () => allAt('sleeping-app-image-200'));
  const somePod = (await cluster.kubectlOk(['get', 'pods', '-l', 'app-name=sleeping-app', '-o', 'name'])).split('\n')[0] ?? '';
  t.regex(await cluster.kubectlOk(['logs', somePod]), /sleeping app 200 started/);

  const history = await cluster.kubectlOk(['rollout', 'history', 'deployment/my-deployment']);
  t.regex(history, /^2\s/m, 'rollout history lists the second revision');

  await cluster.kubectlOk(['rollout', 'undo', 'deployment/my-deployment']);
  await rolloutStatus();
  await waitUntil('6 pods back at version 100', podTimeoutMs, () => allAt('sleeping-app-image-100'));

  await cluster.kubectlOk(['delete', 'deployment', 'my-deployment']);
  await waitUntil('the deployment\'s replica sets and pods to go', 90_000,
    async () => (await cluster.kubectlOk(['get', 'rs,pods', '-l', 'app-name=sleeping-app', '-o', 'name'])).trim() === '');
  t.pass();
});

test.serial('memory hogger is OOMKilled at its limit', async (t) => {
  await cluster.kubectlOk(['apply', '-f', lab('04-memory-limit/mem-hogger-pod.yml')]);
  const reason = await waitUntil('the hogger to be OOMKilled', 90_000, async () =>
    (await cluster.jsonpath('default', 'pod/mem-hogger-pod', '{.status.containerStatuses[0].state.terminated.reason}')) || undefined);
  t.is(reason, 'OOMKilled');
  t.is(await cluster.jsonpath('default', 'pod/mem-hogger-pod', '{.status.containerStatuses[0].state.terminated.exitCode}'), '137');
  t.regex(await cluster.kubectlOk(['get', 'pod', 'mem-hogger-pod', '--no-headers']), /OOMKilled/);
  const logs = await cluster.kubectlOk(['logs', 'mem-hogger-pod']);
  t.regex(logs, /Number of Bytes read \d+MB/);
});

test.serial('cpu hoggers run within their cpu limits', async (t) => {
  await cluster.kubectlOk(['apply', '-f', lab('05-cpu-limits/cpu-hogger1-pod.yml'), '-f', lab('05-cpu-limits/cpu-hogger2-pod.yml')]);
  try {
    for (const pod of ['cpu-hogger1-pod', 'cpu-hogger2-pod']) {
      await waitUntil(`${pod} to run`, podTimeoutMs, async () => (await cluster.jsonpath('default', `pod/${pod}`, '{.status.phase}')) === 'Running');
    }
    t.is(await cluster.jsonpath('default', 'pod/cpu-hogger1-pod', '{.status.qosClass}'), 'Burstable');

    // The kubelet's conversions: a limit is a quota per 100000 µs period, and a
    // request of 250m is 256 cpu.shares, or cpu.weight 10 on cgroup v2.
    const expected = [
      { pod: 'cpu-hogger1-pod', quota: '50000', weight: /cpu\.(shares=256|weight=10)$/ },
      { pod: 'cpu-hogger2-pod', quota: '75000', weight: /cpu\.(shares=768|weight=30)$/ },
    ];
    for (const { pod, quota, weight } of expected) {
      const inspected = await cluster.tinykube(['inspect', 'pod', pod, '--kubeconfig', cluster.kubeconfig, '--data-dir', cluster.names.dataDir, '-o', 'json']);
      t.is(inspected.code, 0, inspected.stderr);
      const container = (JSON.parse(inspected.stdout) as { processes: { name: string; cgroup: { cpuMax: string; cpuWeight: string } }[] })
        .processes.find((process) => process.name !== 'sandbox');
      t.regex(container?.cgroup.cpuMax ?? '', new RegExp(`\\b${quota}\\b.*\\b100000\\b`), `${pod}'s cpu limit in force`);
      t.regex(container?.cgroup.cpuWeight ?? '', weight, `${pod}'s cpu weight in force`);
    }

    const uid = await cluster.jsonpath('default', 'pod/cpu-hogger1-pod', '{.metadata.uid}');
    const pid = await waitUntil('the first hogger\'s process', 10_000, async () => hostPidOf('/cpu-hogger.sh', `pod${uid}`));
    const percent = await cpuPercent(pid, 3_000);
    t.log(`cpu-hogger1 used ${percent.toFixed(0)}% of a core under a 500m limit`);
    // The quota caps it at half a core; on a machine busy with other tests it may get less, so only the cap is checked.
    t.true(percent <= 65, `cpu-hogger1 used ${percent.toFixed(0)}% of a core`);
  } finally {
    // The hoggers spin until deleted; they must not slow the labs that follow.
    await cluster.kubectl(['delete', 'pod', 'cpu-hogger1-pod', 'cpu-hogger2-pod', '--wait=true'], { timeoutMs: 90_000 });
  }
});

test.serial('two containers share ipc, uts and net but not mnt', async (t) => {
  await cluster.kubectlOk(['apply', '-f', lab('06-two-containers/two-containers-pod.yml')]);
  await waitUntil('two-containers-pod to run', podTimeoutMs,
    async () => (await cluster.jsonpath('default', 'pod/two-containers-pod', '{.status.phase}')) === 'Running');
  recordVeths();

  const namespaceOf = async (container: string, kind: string) =>
    (await cluster.kubectlOk(['exec', 'two-containers-pod', '-c', container, '--', 'readlink', `/proc/self/ns/${kind}`])).trim();
  for (const kind of ['ipc', 'uts', 'net']) {
    t.is(await namespaceOf('first', kind), await namespaceOf('second', kind), `both containers are in one ${kind} namespace`);
  }
  for (const kind of ['mnt', 'pid']) {
    t.not(await namespaceOf('first', kind), await namespaceOf('second', kind), `each container has its own ${kind} namespace`);
  }
  t.is((await cluster.kubectlOk(['exec', 'two-containers-pod', '-c', 'second', '--', 'cat', '/proc/sys/kernel/hostname'])).trim(), 'two-containers-pod');
  t.regex(await cluster.jsonpath('default', 'pod/two-containers-pod', '{.status.podIP}'), /^\d+\.\d+\.\d+\.\d+$/);
});

test.serial('down leaves the host as it found it', async (t) => {
  t.timeout(120_000);
  recordVeths();
  t.true(veths.size > 0, 'pods had veths on the bridge');

  t.is(await cluster.stop(), 0, `tinykube up stops cleanly on SIGTERM:\n${cluster.log}`);
  const down = await cluster.down();
  t.is(down.code, 0, down.stderr);
  t.false(existsSync(cluster.names.dataDir), 'down --purge deletes the data dir');

  const leftovers = findLeftovers(cluster.names, veths);
  t.deepEqual(leftovers.mounts, [], 'no mount names the data dir');
  t.deepEqual(leftovers.cgroups, [], 'no cgroup is left under the cgroup root');
  t.deepEqual(leftovers.links, [], 'neither the bridge nor a veth is left');
  t.deepEqual(leftovers.iptablesRules, [], 'no iptables rule names the pod CIDR or the bridge');
  t.deepEqual(leftovers.processes, [], 'no process is left in the cluster\'s cgroups');
  t.false(readFileSync('/proc/self/mountinfo', 'utf8').includes(cluster.names.cgroupRoot));
});
