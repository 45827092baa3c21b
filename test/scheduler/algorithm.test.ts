import test from 'ava';
import type { Node, Pod } from '../../api/types.js';
import { ScheduleAlgorithm } from '../../scheduler/algorithm.js';
import { SchedulerCache } from '../../scheduler/cache.js';
import { newPodInfo } from '../../scheduler/podinfo.js';
import { defaultFilters, defaultScores } from '../../scheduler/plugins/index.js';
import { numFeasibleNodesToFind } from '../../scheduler/sampling.js';
import { newNode, newPod } from './builders.js';

function cacheWith(nodes: Node[], bound: Pod[] = []): SchedulerCache {
  const cache = new SchedulerCache();
  for (const node of nodes) cache.addOrUpdateNode(node);
  for (const pod of bound) cache.addOrUpdatePod(newPodInfo(pod), pod.spec.nodeName ?? '');
  return cache;
}

function schedule(cache: SchedulerCache, pod: Pod, percentageOfNodesToScore?: number) {
  const algorithm = new ScheduleAlgorithm({ filters: defaultFilters, scores: defaultScores, percentageOfNodesToScore, random: () => 0.99 });
  return algorithm.schedule(newPodInfo(pod), cache.nodes());
}

const sampleSizes: [number, number | undefined, number][] = [
  [3, undefined, 3],
  [99, undefined, 99],
  [100, undefined, 100],
  [1_000, undefined, 420],
  [5_000, undefined, 500],
  [6_000, undefined, 300],
  [20_000, undefined, 1_000],
  [5_000, 100, 5_000],
  [5_000, 1, 100],
  [5_000, 30, 1_500],
];
for (const [nodes, percentage, expected] of sampleSizes) {
  test(`sample of ${nodes} nodes at ${percentage ?? 'adaptive'}%`, (t) => {
    t.is(numFeasibleNodesToFind(nodes, percentage), expected);
  });
}

test('message counts reasons per node', (t) => {
  const cache = cacheWith([
    newNode('a', { ready: 'Unknown' }),
    newNode('b', { memory: '1Gi' }),
    newNode('c', { memory: '1Gi' }),
  ]);
  const result = schedule(cache, newPod('p', { memory: '512Mi' }), undefined);
  t.is(result.kind, 'feasible');
  const full = schedule(cacheWith([newNode('a', { ready: 'Unknown' }), newNode('b', { memory: '1Gi' }), newNode('c', { memory: '1Gi' })],
    [newPod('x', { memory: '1Gi', nodeName: 'b' }), newPod('y', { memory: '1Gi', nodeName: 'c' })]), newPod('p', { memory: '512Mi' }));
  t.like(full, {
    kind: 'unschedulable',
    message: '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient memory. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
  });
});

test('message lists every reason of a node', (t) => {
  const result = schedule(cacheWith([newNode('a', { cpu: '1', memory: '1Gi' })], [newPod('x', { cpu: '1', memory: '1Gi', nodeName: 'a' })]),
    newPod('p', { cpu: '1', memory: '1Gi' }));
  t.like(result, {
    kind: 'unschedulable',
    message: '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
  });
});

test('message for cordon and selector', (t) => {
  const result = schedule(cacheWith([newNode('a', { unschedulable: true }), newNode('b'), newNode('c')]),
    newPod('p', { spec: { nodeSelector: { disk: 'ssd' } } }));
  t.like(result, {
    kind: 'unschedulable',
    message: "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. " +
      'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
  });
});

test('message with preemptionPolicy Never', (t) => {
  const result = schedule(cacheWith([newNode('a', { cpu: '1' })]), newPod('p', { cpu: '2', spec: { preemptionPolicy: 'Never' } }));
  t.like(result, { kind: 'unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.' });
});

test('message without nodes', (t) => {
  t.like(schedule(cacheWith([]), newPod('p')), { kind: 'unschedulable', message: 'no nodes available to schedule pods' });
});

test('rejector plugins are reported', (t) => {
  const result = schedule(cacheWith([newNode('a', { unschedulable: true }), newNode('b', { cpu: '1' })]), newPod('p', { cpu: '2' }));
  t.is(result.kind, 'unschedulable');
  if (result.kind === 'unschedulable') t.deepEqual([...result.rejectorPlugins].sort(), ['NodeResourcesFit', 'NodeUnschedulable']);
});

test('least allocated node wins', (t) => {
  const cache = cacheWith([newNode('busy'), newNode('idle')], [newPod('x', { cpu: '3', memory: '6Gi', nodeName: 'busy' })]);
  t.like(schedule(cache, newPod('p', { cpu: '100m', memory: '100Mi' })), { kind: 'feasible', node: 'idle' });
});

test('balanced node wins over lopsided one', (t) => {
  // Both nodes are equally free on average; "even" keeps cpu and memory use alike after placement.
  const cache = cacheWith([newNode('lopsided', { cpu: '4', memory: '4Gi' }), newNode('even', { cpu: '4', memory: '4Gi' })], [
    newPod('x', { cpu: '2', memory: '0', nodeName: 'lopsided' }),
    newPod('y', { cpu: '1', memory: '1Gi', nodeName: 'even' }),
  ]);
  t.like(schedule(cache, newPod('p', { cpu: '1', memory: '1Gi' })), { kind: 'feasible', node: 'even' });
});

test('pods of one owner spread', (t) => {
  const cache = cacheWith([newNode('a'), newNode('b')], [newPod('x', { ownerUID: 'rs', nodeName: 'a' })]);
  t.like(schedule(cache, newPod('p', { ownerUID: 'rs' })), { kind: 'feasible', node: 'b' });
});

test('preferred node affinity wins', (t) => {
  const cache = cacheWith([newNode('a'), newNode('b', { labels: { zone: 'east' } })]);
  const pod = newPod('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['east'] }] } },
  ] } } } });
  t.like(schedule(cache, pod), { kind: 'feasible', node: 'b' });
});

test('PreferNoSchedule taint loses', (t) => {
  const cache = cacheWith([newNode('a', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }), newNode('b')]);
  t.like(schedule(cache, newPod('p')), { kind: 'feasible', node: 'b' });
});

test('assumed pods count against the node', (t) => {
  const cache = cacheWith([newNode('a', { cpu: '1' })]);
  cache.assumePod(newPodInfo(newPod('x', { cpu: '1' })), 'a');
  t.like(schedule(cache, newPod('p', { cpu: '1' })), { kind: 'unschedulable' });
  cache.forgetPod('uid-x');
  t.like(schedule(cache, newPod('p', { cpu: '1' })), { kind: 'feasible', node: 'a' });
});

test('sampling stops at enough feasible nodes', (t) => {
  const nodes = Array.from({ length: 1_000 }, (_, i) => newNode(`n${i}`));
  const result = schedule(cacheWith(nodes), newPod('p'));
  t.like(result, { kind: 'feasible', evaluatedNodes: 420, feasibleNodes: 420 });
});

test('removed node leaves the search', (t) => {
  const cache = cacheWith([newNode('a'), newNode('b'), newNode('c')]);
  cache.removeNode('a');
  t.deepEqual(cache.nodes().map((node) => node.name).sort(), ['b', 'c']);
});
