// `tinykube apiserver`: serves the Kubernetes API until SIGINT or SIGTERM.

import { mkdirSync } from 'node:fs';
import { dataDirFlag, parseFlags } from '../api/flags.js';
import { createLogger } from '../api/log.js';
import { waitForShutdownSignal } from '../api/signals.js';
import { startApiserver } from './server.js';

const logger = createLogger('apiserver');

const flags = {
  'data-dir': dataDirFlag(),
  port: { type: 'string', help: 'TCP port to serve the API on; 0 picks a free one', default: '6443' },
  'bind-address': { type: 'string', help: 'IP address to listen on', default: '127.0.0.1' },
  'default-not-ready-toleration-seconds': {
    type: 'string', help: 'tolerationSeconds of the node.kubernetes.io/not-ready:NoExecute toleration added to every pod that has none', default: '300',
  },
  'default-unreachable-toleration-seconds': {
    type: 'string', help: 'tolerationSeconds of the node.kubernetes.io/unreachable:NoExecute toleration added to every pod that has none', default: '300',
  },
} as const;

/** Parses a toleration-seconds flag: a non-negative integer, as kube-apiserver takes it. */
function tolerationSeconds(name: string, value: string): number | undefined {
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isSafeInteger(seconds) && seconds >= 0) return seconds;
  logger.error(`Invalid --${name}: expected a non-negative integer number of seconds`, { [name]: value });
  return undefined;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, 'tinykube apiserver [--data-dir DIR] [--port 6443] [--bind-address 127.0.0.1] [--default-not-ready-toleration-seconds 300] [--default-unreachable-toleration-seconds 300]', flags);
  if (!parsed) return 0;
  const port = Number(parsed.values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    logger.error('Invalid --port: expected an integer from 0 to 65535', { port: parsed.values.port });
    return 2;
  }
  const notReady = tolerationSeconds('default-not-ready-toleration-seconds', parsed.values['default-not-ready-toleration-seconds']);
  const unreachable = tolerationSeconds('default-unreachable-toleration-seconds', parsed.values['default-unreachable-toleration-seconds']);
  if (notReady === undefined || unreachable === undefined) return 2;
  const dataDir = parsed.values['data-dir'];
  mkdirSync(dataDir, { recursive: true });
  const apiserver = await startApiserver({
    dataDir, port, bindAddress: parsed.values['bind-address'],
    defaultNotReadyTolerationSeconds: notReady, defaultUnreachableTolerationSeconds: unreachable,
  });

  const signal = await waitForShutdownSignal();
  logger.info('Received signal, shutting down', { signal });
  await apiserver.close();
  return 0;
}
