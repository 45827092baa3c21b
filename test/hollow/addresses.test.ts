// Hollow node indexes, from which node and pod addresses come.

import test from 'ava';
import { assignIndexes, indexOfPodCIDR, podCIDR } from '../../kubelet/hollow/addresses.js';

test('pod range maps back to its index', (t) => {
  for (const index of [0, 1, 255, 256, 65_535]) t.is(indexOfPodCIDR(podCIDR(index)), index);
  t.is(indexOfPodCIDR('10.244.0.0/24'), 180 * 256);
  t.is(indexOfPodCIDR('10.1.2.0/24'), undefined);
  t.is(indexOfPodCIDR('192.168.0.0/24'), undefined);
  t.is(indexOfPodCIDR(undefined), undefined);
});

test('new nodes take free indexes', (t) => {
  const existing = new Map([['other-0', podCIDR(0)], ['other-1', podCIDR(1)], ['real-node', '192.168.0.0/24']]);
  t.deepEqual(assignIndexes(['h-0', 'h-1', 'h-2'], existing), [2, 3, 4]);
});

test('existing nodes keep their index', (t) => {
  const existing = new Map([['h-1', podCIDR(7)], ['other', podCIDR(0)]]);
  t.deepEqual(assignIndexes(['h-0', 'h-1', 'h-2'], existing), [1, 7, 2]);
});
