import test from 'ava';
import type { FilterPlugin } from '../../scheduler/framework.js';
import { NodeInfo } from '../../scheduler/nodeinfo.js';
import { newPodInfo } from '../../scheduler/podinfo.js';
import { nodeAffinityFilter } from '../../scheduler/plugins/nodeaffinity.js';
import { nodePortsFilter } from '../../scheduler/plugins/nodeports.js';
import { nodeResourcesFitFilter } from '../../scheduler/plugins/noderesources.js';
import { nodeUnschedulableFilter } from '../../scheduler/plugins/nodeunschedulable.js';
import { taintTolerationFilter, tolerates } from '../../scheduler/plugins/tainttoleration.js';
import type { Node, Pod } from '../../api/types.js';
import { newNode, newPod } from './builders.js';

function nodeInfo(node: Node, boundPods: Pod[] = []): NodeInfo {
  const info = new NodeInfo(node.metadata.name ?? '');
  info.setNode(node);
  for (const pod of boundPods) info.addPod(newPodInfo(pod));
  return info;
}

interface FilterCase {
  name: string;
  plugin: FilterPlugin;
  pod: Pod;
  node: Node;
  bound?: Pod[];
  /** Expected reasons; undefined means the node is feasible. */
  reasons?: string[];
  code?: 'Unschedulable' | 'UnschedulableAndUnresolvable';
}

const cases: FilterCase[] = [
  { name: 'cordoned node rejects', plugin: nodeUnschedulableFilter, pod: newPod('p'), node: newNode('n', { unschedulable: true }),
    reasons: ['node(s) were unschedulable'], code: 'UnschedulableAndUnresolvable' },
  { name: 'cordoned node admits toleration', plugin: nodeUnschedulableFilter,
    pod: newPod('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } }),
    node: newNode('n', { unschedulable: true }) },
  { name: 'uncordoned node admits', plugin: nodeUnschedulableFilter, pod: newPod('p'), node: newNode('n') },

  { name: 'NoSchedule taint rejects', plugin: taintTolerationFilter, pod: newPod('p'),
    node: newNode('n', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    reasons: ['node(s) had untolerated taint {dedicated: gpu}'], code: 'UnschedulableAndUnresolvable' },
  { name: 'NoExecute taint rejects', plugin: taintTolerationFilter, pod: newPod('p'),
    node: newNode('n', { taints: [{ key: 'evict', effect: 'NoExecute' }] }), reasons: ['node(s) had untolerated taint {evict: }'] },
  { name: 'PreferNoSchedule taint admits', plugin: taintTolerationFilter, pod: newPod('p'),
    node: newNode('n', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }) },
  { name: 'Equal toleration admits', plugin: taintTolerationFilter,
    pod: newPod('p', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] } }),
    node: newNode('n', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }) },
  { name: 'toleration with other value rejects', plugin: taintTolerationFilter,
    pod: newPod('p', { spec: { tolerations: [{ key: 'dedicated', value: 'cpu', effect: 'NoSchedule' }] } }),
    node: newNode('n', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }), reasons: ['node(s) had untolerated taint {dedicated: gpu}'] },
  { name: 'Exists without key tolerates all', plugin: taintTolerationFilter, pod: newPod('p', { spec: { tolerations: [{ operator: 'Exists' }] } }),
    node: newNode('n', { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', value: 'x', effect: 'NoExecute' }] }) },
  { name: 'not-ready node rejects', plugin: taintTolerationFilter, pod: newPod('p'), node: newNode('n', { ready: 'False' }),
    reasons: ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'] },
  { name: 'unreachable node rejects', plugin: taintTolerationFilter, pod: newPod('p'), node: newNode('n', { ready: 'Unknown' }),
    reasons: ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }'] },

  { name: 'nodeSelector matches', plugin: nodeAffinityFilter, pod: newPod('p', { spec: { nodeSelector: { disk: 'ssd' } } }),
    node: newNode('n', { labels: { disk: 'ssd' } }) },
  { name: 'nodeSelector mismatch rejects', plugin: nodeAffinityFilter, pod: newPod('p', { spec: { nodeSelector: { disk: 'ssd' } } }),
    node: newNode('n', { labels: { disk: 'hdd' } }), reasons: ["node(s) didn't match Pod's node affinity/selector"], code: 'UnschedulableAndUnresolvable' },
];

function requiredAffinity(operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt', values?: string[]): Pod {
  return newPod('p', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {
    nodeSelectorTerms: [{ matchExpressions: [{ key: 'rank', operator, ...(values ? { values } : {}) }] }],
  } } } } });
}

const affinityCases: [string, Pod, Record<string, string>, boolean][] = [
  ['In matches', requiredAffinity('In', ['1', '2']), { rank: '2' }, true],
  ['In misses', requiredAffinity('In', ['1', '2']), { rank: '3' }, false],
  ['NotIn matches absent label', requiredAffinity('NotIn', ['1']), {}, true],
  ['NotIn misses', requiredAffinity('NotIn', ['1']), { rank: '1' }, false],
  ['Exists matches', requiredAffinity('Exists'), { rank: '' }, true],
  ['Exists misses', requiredAffinity('Exists'), {}, false],
  ['DoesNotExist matches', requiredAffinity('DoesNotExist'), {}, true],
  ['DoesNotExist misses', requiredAffinity('DoesNotExist'), { rank: '1' }, false],
  ['Gt matches', requiredAffinity('Gt', ['5']), { rank: '6' }, true],
  ['Gt misses equal', requiredAffinity('Gt', ['5']), { rank: '5' }, false],
  ['Gt misses non-integer', requiredAffinity('Gt', ['5']), { rank: 'six' }, false],
  ['Lt matches', requiredAffinity('Lt', ['5']), { rank: '-1' }, true],
  ['Lt misses', requiredAffinity('Lt', ['5']), { rank: '7' }, false],
];
for (const [name, pod, labels, feasible] of affinityCases) {
  cases.push({ name: `affinity ${name}`, plugin: nodeAffinityFilter, pod, node: newNode('n', { labels }),
    reasons: feasible ? undefined : ["node(s) didn't match Pod's node affinity/selector"] });
}

cases.push(
  { name: 'affinity terms are ORed', plugin: nodeAffinityFilter,
    pod: newPod('p', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] },
    ] } } } } }),
    node: newNode('n', { labels: { zone: 'b' } }) },

  { name: 'requests fit', plugin: nodeResourcesFitFilter, pod: newPod('p', { cpu: '1', memory: '1Gi' }),
    node: newNode('n', { cpu: '2', memory: '2Gi' }), bound: [newPod('q', { cpu: '1', memory: '1Gi', nodeName: 'n' })] },
  { name: 'insufficient cpu', plugin: nodeResourcesFitFilter, pod: newPod('p', { cpu: '1500m' }),
    node: newNode('n', { cpu: '2' }), bound: [newPod('q', { cpu: '1', nodeName: 'n' })], reasons: ['Insufficient cpu'], code: 'Unschedulable' },
  { name: 'insufficient cpu and memory', plugin: nodeResourcesFitFilter, pod: newPod('p', { cpu: '2', memory: '2Gi' }),
    node: newNode('n', { cpu: '2', memory: '2Gi' }), bound: [newPod('q', { cpu: '1', memory: '1Gi', nodeName: 'n' })],
    reasons: ['Insufficient cpu', 'Insufficient memory'], code: 'Unschedulable' },
  { name: 'request beyond node is unresolvable', plugin: nodeResourcesFitFilter, pod: newPod('p', { memory: '3Gi' }),
    node: newNode('n', { memory: '2Gi' }), reasons: ['Insufficient memory'], code: 'UnschedulableAndUnresolvable' },
  { name: 'too many pods', plugin: nodeResourcesFitFilter, pod: newPod('p'),
    node: newNode('n', { pods: 1 }), bound: [newPod('q', { nodeName: 'n' })], reasons: ['Too many pods'] },
  { name: 'pods without requests fit a full node', plugin: nodeResourcesFitFilter, pod: newPod('p'),
    node: newNode('n', { cpu: '1' }), bound: [newPod('q', { cpu: '1', nodeName: 'n' })] },
  { name: 'limits count as requests', plugin: nodeResourcesFitFilter,
    pod: { ...newPod('p'), spec: { containers: [{ name: 'main', resources: { limits: { cpu: '3' } } }] } },
    node: newNode('n', { cpu: '2' }), reasons: ['Insufficient cpu'] },

  { name: 'free host port', plugin: nodePortsFilter, pod: newPod('p', { hostPort: 8080 }), node: newNode('n'),
    bound: [newPod('q', { hostPort: 8081, nodeName: 'n' })] },
  { name: 'taken host port', plugin: nodePortsFilter, pod: newPod('p', { hostPort: 8080 }), node: newNode('n'),
    bound: [newPod('q', { hostPort: 8080, nodeName: 'n' })], reasons: ["node(s) didn't have free ports for the requested pod ports"], code: 'Unschedulable' },
);

for (const testCase of cases) {
  test(`${testCase.plugin.name}: ${testCase.name}`, (t) => {
    const status = testCase.plugin.filter(newPodInfo(testCase.pod), nodeInfo(testCase.node, testCase.bound));
    if (!testCase.reasons) {
      t.is(status, undefined);
      return;
    }
    t.deepEqual(status?.reasons, testCase.reasons);
    if (testCase.code) t.is(status?.code, testCase.code);
  });
}

test('host ports on different IPs do not conflict', (t) => {
  const pod = newPod('p');
  pod.spec.containers[0].ports = [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }];
  const other = newPod('q', { nodeName: 'n' });
  other.spec.containers[0].ports = [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.2' }];
  t.is(nodePortsFilter.filter(newPodInfo(pod), nodeInfo(newNode('n'), [other])), undefined);
});

test('removing a bound pod frees its resources and port', (t) => {
  const info = nodeInfo(newNode('n', { cpu: '1' }), [newPod('q', { cpu: '1', hostPort: 80, nodeName: 'n' })]);
  const pod = newPodInfo(newPod('p', { cpu: '1', hostPort: 80 }));
  t.truthy(nodeResourcesFitFilter.filter(pod, info));
  info.removePod('uid-q');
  t.is(nodeResourcesFitFilter.filter(pod, info), undefined);
  t.is(nodePortsFilter.filter(pod, info), undefined);
});

test('toleration with empty effect matches every effect', (t) => {
  t.true(tolerates({ key: 'k', operator: 'Exists' }, { key: 'k', effect: 'NoExecute' }));
  t.false(tolerates({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, { key: 'k', effect: 'NoExecute' }));
});
