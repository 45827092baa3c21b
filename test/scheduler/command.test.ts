// Flags of `tinykube scheduler`: invalid values are rejected before it connects.

import test from 'ava';
import { startCommand } from '../helpers/command.js';

const invalidFlags: [string[], RegExp][] = [
  [['--percentage-of-nodes-to-score', '101'], /invalid --percentage-of-nodes-to-score "101": expected an integer from 0 to 100/],
  [['--max-queued-events', '0'], /invalid --max-queued-events "0": expected a positive integer/],
  [['--max-queued-events', 'many'], /invalid --max-queued-events "many"/],
];

for (const [flags, message] of invalidFlags) {
  test(`scheduler rejects ${flags.join(' ')}`, async (t) => {
    const command = startCommand(t, ['scheduler', '--kubeconfig', '/nonexistent/kubeconfig', ...flags]);
    t.is(await command.exited, 1);
    t.regex(command.stderr(), message);
  });
}

test('scheduler help lists its flags', async (t) => {
  const command = startCommand(t, ['scheduler', '--help']);
  t.is(await command.exited, 0);
  for (const flag of ['--kubeconfig', '--percentage-of-nodes-to-score', '--max-queued-events', '--leader-elect', '--leader-elect-identity']) {
    t.true(command.stdout().includes(flag), flag);
  }
});
