// `tinykube hollow-nodes`: runs N simulated nodes against the cluster in a
// kubeconfig until SIGINT or SIGTERM.

import { ApiClient } from '../../api/client.js';
import { parseFlags } from '../../api/flags.js';
import { isValidQuantity } from '../../api/quantity.js';
import { waitForShutdownSignal } from '../../api/signals.js';
import { startHollowNodes } from './hollow.js';

const usage = 'tinykube hollow-nodes --kubeconfig FILE --count N [--cpu 8] [--memory 32Gi] [--max-pods 110] [--name-prefix hollow-]';

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, usage, {
    kubeconfig: { type: 'string', help: 'Path of the kubeconfig that names the apiserver' },
    count: { type: 'string', help: 'Number of hollow nodes to run' },
    cpu: { type: 'string', help: 'Allocatable cpu of each node, as a quantity', default: '8' },
    memory: { type: 'string', help: 'Allocatable memory of each node, as a quantity', default: '32Gi' },
    'max-pods': { type: 'string', help: 'Maximum number of pods on each node', default: '110' },
    'name-prefix': { type: 'string', help: 'Prefix of the node names, followed by the node index', default: 'hollow-' },
  });
  if (!parsed) return 0;
  const { kubeconfig, count, cpu, memory } = parsed.values;
  const fail = (message: string) => {
    console.error(`tinykube hollow-nodes: ${message}\n\nUsage: ${usage}`);
    return 1;
  };
  if (!kubeconfig) return fail('missing --kubeconfig');
  if (count === undefined) return fail('missing --count');
  if (!/^\d+$/.test(count) || Number(count) < 1) return fail(`invalid --count "${count}": expected a positive integer`);
  if (!isValidQuantity(cpu)) return fail(`invalid --cpu "${cpu}": expected a quantity such as 8 or 500m`);
  if (!isValidQuantity(memory)) return fail(`invalid --memory "${memory}": expected a quantity such as 32Gi`);
  const maxPods = parsed.values['max-pods'];
  if (!/^\d+$/.test(maxPods) || Number(maxPods) < 1) return fail(`invalid --max-pods "${maxPods}": expected a positive integer`);

  const client = ApiClient.fromKubeconfig(kubeconfig, 'tinykube-hollow-nodes');
  const hollow = await startHollowNodes({ client, count: Number(count), cpu, memory, maxPods: Number(maxPods), namePrefix: parsed.values['name-prefix'] });
  await waitForShutdownSignal();
  await hollow.stop();
  client.close();
  return 0;
}
