// `tinykube scheduler`: runs the scheduler against the cluster in a kubeconfig
// until SIGINT or SIGTERM.

import { ApiClient } from '../api/client.js';
import { parseFlags } from '../api/flags.js';
import { waitForShutdownSignal } from '../api/signals.js';
import { exitOnLostLeadership } from '../controllers/framework/leaderelection.js';
import { startScheduler } from './scheduler.js';

const usage = 'tinykube scheduler --kubeconfig FILE [--percentage-of-nodes-to-score N] [--max-queued-events N] [--leader-elect [--leader-elect-identity ID]]';

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, usage, {
    kubeconfig: { type: 'string', help: 'Path of the kubeconfig that names the apiserver' },
    'percentage-of-nodes-to-score': { type: 'string', help: 'Percentage of nodes to find feasible before scoring (0 adapts to the cluster size, 100 considers all)', default: '0' },
    'leader-elect': { type: 'boolean', help: 'Schedule only while holding the kube-system/kube-scheduler Lease', default: false },
    'leader-elect-identity': { type: 'string', help: 'Holder identity in the leader Lease (host name plus a random suffix by default)' },
    'max-queued-events': { type: 'string', help: 'Events waiting to be written beyond which new ones are dropped, as in client-go', default: '1000' },
  });
  if (!parsed) return 0;
  const { kubeconfig } = parsed.values;
  if (!kubeconfig) {
    console.error(`tinykube scheduler: missing --kubeconfig\n\nUsage: ${usage}`);
    return 1;
  }
  const percentage = Number(parsed.values['percentage-of-nodes-to-score']);
  if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) {
    console.error(`tinykube scheduler: invalid --percentage-of-nodes-to-score "${parsed.values['percentage-of-nodes-to-score']}": expected an integer from 0 to 100`);
    return 1;
  }

  const maxQueuedEvents = Number(parsed.values['max-queued-events']);
  if (!Number.isInteger(maxQueuedEvents) || maxQueuedEvents < 1) {
    console.error(`tinykube scheduler: invalid --max-queued-events "${parsed.values['max-queued-events']}": expected a positive integer`);
    return 1;
  }

  const client = ApiClient.fromKubeconfig(kubeconfig, 'tinykube-scheduler');
  const scheduler = await startScheduler({
    client,
    percentageOfNodesToScore: percentage || undefined,
    maxQueuedEvents,
    leaderElect: parsed.values['leader-elect'],
    identity: parsed.values['leader-elect-identity'] || undefined,
    onLostLeadership: () => exitOnLostLeadership('scheduler'),
  });
  await waitForShutdownSignal();
  await scheduler.stop();
  client.close();
  return 0;
}
