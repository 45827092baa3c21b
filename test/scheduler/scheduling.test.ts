import test from 'ava';
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { nodes, pods } from '../../api/resources.js';
import type { Node, Pod } from '../../api/types.js';
import { newNode, newPod } from './builders.js';
import { startCluster, waitFor } from './cluster.js';

const run = promisify(execFile);

async function kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, ...args]);
  return stdout;
}

function scheduledCondition(pod: Pod) {
  return pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
}

test('pod is bound and Scheduled is recorded', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('only'));
  await cluster.createPod(newPod('web'));
  t.is(await cluster.boundNode('web'), 'only');
  const events = await waitFor('Scheduled event', async () => {
    const found = (await cluster.podEvents('web')).filter((event) => event.reason === 'Scheduled');
    return found.length > 0 ? found : undefined;
  });
  t.is(events[0].message, 'Successfully assigned default/web to only');
  t.is(events[0].source?.component, 'default-scheduler');
  t.is(events[0].reportingComponent, 'default-scheduler');
  t.is(events[0].reportingInstance, `default-scheduler-${hostname()}`);
});

test('other schedulerName is left alone', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('only'));
  await cluster.createPod(newPod('custom', { spec: { schedulerName: 'my-scheduler' } }));
  await cluster.createPod(newPod('marker'));
  // The marker pod is created after, so once it is bound the scheduler has seen both.
  await cluster.boundNode('marker');
  const custom = await cluster.getPod('custom');
  t.is(custom.spec.nodeName, undefined);
  t.is(scheduledCondition(custom), undefined);
});

test('unschedulable pod gets condition and event', async (t) => {
  const cluster = await startCluster(t);
  // NoSchedule, because admission gives every pod a toleration for the NoExecute unreachable taint.
  await cluster.createNode(newNode('tainted', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] }));
  await cluster.createNode(newNode('small-1', { memory: '1Gi' }));
  await cluster.createNode(newNode('small-2', { memory: '1Gi' }));
  await cluster.createPod(newPod('big', { memory: '2Gi' }));
  const expected = '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient memory. ' +
    'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';

  const condition = await waitFor('PodScheduled=False', async () => scheduledCondition(await cluster.getPod('big')));
  t.is(condition.status, 'False');
  t.is(condition.reason, 'Unschedulable');
  t.is(condition.message, expected);

  const failed = await waitFor('FailedScheduling event', async () => (await cluster.podEvents('big')).find((event) => event.reason === 'FailedScheduling'));
  t.is(failed.type, 'Warning');
  t.is(failed.message, expected);
});

test('pod is retried when a node is added', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('small', { cpu: '1' }));
  await cluster.createPod(newPod('needs-2-cpus', { cpu: '2' }));
  await waitFor('Unschedulable condition', async () => scheduledCondition(await cluster.getPod('needs-2-cpus')));
  await cluster.createNode(newNode('large', { cpu: '4' }));
  t.is(await cluster.boundNode('needs-2-cpus'), 'large');
});

test('pod is retried when a bound pod is deleted', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('only', { cpu: '1' }));
  await cluster.createPod(newPod('first', { cpu: '1' }));
  await cluster.boundNode('first');
  await cluster.createPod(newPod('second', { cpu: '1' }));
  const condition = await waitFor('Unschedulable condition', async () => scheduledCondition(await cluster.getPod('second')));
  t.regex(condition.message ?? '', /1 Insufficient cpu/);
  await cluster.client.delete(pods, 'default', 'first', { gracePeriodSeconds: 0 });
  t.is(await cluster.boundNode('second'), 'only');
});

test('kubectl cordon keeps new pods off a node', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('cordoned'));
  await cluster.createNode(newNode('open'));
  await kubectl(cluster.kubeconfigPath, 'cordon', 'cordoned');
  const cordoned = await cluster.client.get<Node>(nodes, undefined, 'cordoned');
  t.true(cordoned.spec.unschedulable);

  for (let i = 0; i < 4; i++) await cluster.createPod(newPod(`pod-${i}`));
  for (let i = 0; i < 4; i++) t.is(await cluster.boundNode(`pod-${i}`), 'open');

  await kubectl(cluster.kubeconfigPath, 'cordon', 'open');
  await cluster.createPod(newPod('stuck'));
  const condition = await waitFor('Unschedulable condition', async () => scheduledCondition(await cluster.getPod('stuck')));
  t.regex(condition.message ?? '', /^0\/2 nodes are available: 2 node\(s\) were unschedulable\./);

  // Uncordoning is a node update that lets the pod fit, so it is retried at once.
  await kubectl(cluster.kubeconfigPath, 'uncordon', 'cordoned');
  t.is(await cluster.boundNode('stuck'), 'cordoned');
});

test('taints repel pods without tolerations', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
  await cluster.createNode(newNode('plain'));
  await cluster.createPod(newPod('tolerant', {
    spec: {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      nodeSelector: { 'kubernetes.io/hostname': 'gpu' },
    },
  }));
  for (let i = 0; i < 3; i++) await cluster.createPod(newPod(`plain-${i}`));
  t.is(await cluster.boundNode('tolerant'), 'gpu');
  for (let i = 0; i < 3; i++) t.is(await cluster.boundNode(`plain-${i}`), 'plain');
});

test('kubectl taint and toleration', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('only'));
  await kubectl(cluster.kubeconfigPath, 'taint', 'nodes', 'only', 'team=blue:NoSchedule');
  await cluster.createPod(newPod('intolerant'));
  const condition = await waitFor('Unschedulable condition', async () => scheduledCondition(await cluster.getPod('intolerant')));
  t.is(condition.message, '0/1 nodes are available: 1 node(s) had untolerated taint {team: blue}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.');
  await cluster.createPod(newPod('tolerant', { spec: { tolerations: [{ key: 'team', operator: 'Exists' }] } }));
  t.is(await cluster.boundNode('tolerant'), 'only');
  await kubectl(cluster.kubeconfigPath, 'taint', 'nodes', 'only', 'team-');
  t.is(await cluster.boundNode('intolerant'), 'only');
});

test('not ready node is skipped', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('down', { ready: 'False' }));
  await cluster.createNode(newNode('up'));
  for (let i = 0; i < 3; i++) await cluster.createPod(newPod(`pod-${i}`));
  for (let i = 0; i < 3; i++) t.is(await cluster.boundNode(`pod-${i}`), 'up');
});

test('nodeSelector and required affinity', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('ssd', { labels: { disk: 'ssd', rank: '7' } }));
  await cluster.createNode(newNode('hdd', { labels: { disk: 'hdd', rank: '3' } }));
  await cluster.createPod(newPod('selector', { spec: { nodeSelector: { disk: 'hdd' } } }));
  await cluster.createPod(newPod('gt', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {
    nodeSelectorTerms: [{ matchExpressions: [{ key: 'rank', operator: 'Gt', values: ['5'] }] }],
  } } } } }));
  await cluster.createPod(newPod('notin', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {
    nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }],
  } } } } }));
  await cluster.createPod(newPod('nowhere', { spec: { nodeSelector: { disk: 'nvme' } } }));
  t.is(await cluster.boundNode('selector'), 'hdd');
  t.is(await cluster.boundNode('gt'), 'ssd');
  t.is(await cluster.boundNode('notin'), 'hdd');
  const condition = await waitFor('Unschedulable condition', async () => scheduledCondition(await cluster.getPod('nowhere')));
  t.regex(condition.message ?? '', /^0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector\./);

  // Labelling a node is an update that lets the waiting pod fit.
  await kubectl(cluster.kubeconfigPath, 'label', 'nodes', 'hdd', 'disk=nvme', '--overwrite');
  t.is(await cluster.boundNode('nowhere'), 'hdd');
});

test('requests count pods being bound', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('a', { cpu: '2', memory: '4Gi', pods: 3 }));
  await cluster.createNode(newNode('b', { cpu: '2', memory: '4Gi', pods: 3 }));
  // Created back to back, so most are decided while earlier bindings are in flight.
  await Promise.all(Array.from({ length: 5 }, (_, i) => cluster.createPod(newPod(`p${i}`, { cpu: '800m' }))));
  const bound = await waitFor('four pods bound', async () => {
    const names = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await cluster.getPod(`p${i}`)).spec.nodeName));
    return names.filter(Boolean).length >= 4 ? names : undefined;
  });
  // Two 800m pods fit in 2 cpus per node; the fifth fits nowhere.
  t.is(bound.filter((name) => name === 'a').length, 2);
  t.is(bound.filter((name) => name === 'b').length, 2);
  const unbound = bound.findIndex((name) => !name);
  const condition = await waitFor('Unschedulable condition', async () => scheduledCondition(await cluster.getPod(`p${unbound}`)));
  t.is(condition.message, '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.');
});

test('too many pods and host ports', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('one-slot', { pods: 1 }));
  await cluster.createNode(newNode('roomy'));
  await cluster.createPod(newPod('port-a', { hostPort: 8080, spec: { nodeSelector: { 'kubernetes.io/hostname': 'roomy' } } }));
  await cluster.boundNode('port-a');
  await cluster.createPod(newPod('filler', { spec: { nodeSelector: { 'kubernetes.io/hostname': 'one-slot' } } }));
  await cluster.boundNode('filler');
  await cluster.createPod(newPod('port-b', { hostPort: 8080 }));
  const condition = await waitFor('Unschedulable condition', async () => scheduledCondition(await cluster.getPod('port-b')));
  t.is(condition.message, "0/2 nodes are available: 1 Too many pods, 1 node(s) didn't have free ports for the requested pod ports. " +
    'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.');
});

test('pods of one owner spread across nodes', async (t) => {
  const cluster = await startCluster(t);
  for (const name of ['n1', 'n2', 'n3']) await cluster.createNode(newNode(name));
  const owner = 'f3c2a8e0-0000-4000-8000-000000000001';
  for (let i = 0; i < 6; i++) await cluster.createPod(newPod(`replica-${i}`, { ownerUID: owner, cpu: '100m', memory: '64Mi' }));
  const placement = new Map<string, number>();
  for (let i = 0; i < 6; i++) {
    const node = await cluster.boundNode(`replica-${i}`);
    placement.set(node, (placement.get(node) ?? 0) + 1);
  }
  t.deepEqual([...placement.values()], [2, 2, 2]);
});

test('least allocated node is preferred', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('busy', { cpu: '4', memory: '8Gi' }));
  await cluster.createNode(newNode('idle', { cpu: '4', memory: '8Gi' }));
  await cluster.createPod(newPod('hog', { cpu: '3', memory: '6Gi', spec: { nodeSelector: { 'kubernetes.io/hostname': 'busy' } } }));
  await cluster.boundNode('hog');
  for (let i = 0; i < 3; i++) {
    await cluster.createPod(newPod(`small-${i}`, { cpu: '100m', memory: '128Mi' }));
    t.is(await cluster.boundNode(`small-${i}`), 'idle');
  }
});

test('preferred affinity is honoured', async (t) => {
  const cluster = await startCluster(t);
  await cluster.createNode(newNode('west', { labels: { zone: 'west' } }));
  await cluster.createNode(newNode('east', { labels: { zone: 'east' } }));
  for (let i = 0; i < 3; i++) {
    await cluster.createPod(newPod(`pref-${i}`, { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 100, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['east'] }] } },
    ] } } } }));
    t.is(await cluster.boundNode(`pref-${i}`), 'east');
  }
});
