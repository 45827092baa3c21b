// `tinykube controller-manager`: runs the ReplicaSet, Deployment, garbage
// collector, namespace and node lifecycle controllers until SIGINT or SIGTERM.

import { ApiClient } from '../api/client.js';
import { parseFlags, UsageError } from '../api/flags.js';
import { createLogger, setLogLevel } from '../api/log.js';
import { waitForShutdownSignal } from '../api/signals.js';
import { exitOnLostLeadership } from './framework/leaderelection.js';
import { startControllerManager } from './manager.js';

const usage = 'tinykube controller-manager --kubeconfig FILE [FLAGS]';

const flags = {
  kubeconfig: { type: 'string', help: 'Path to the kubeconfig file of the cluster to control' },
  'leader-elect': { type: 'boolean', help: 'Run the controllers only while holding the kube-system/kube-controller-manager Lease', default: false },
  'leader-elect-identity': { type: 'string', help: 'Holder identity in the leader Lease (host name plus a random suffix by default)' },
  'node-monitor-grace-period': { type: 'string', help: 'How long a node may go without a heartbeat before it is marked unknown, such as 40s or 1m', default: '40s' },
  'default-not-ready-toleration-seconds': { type: 'string', help: 'Seconds a pod without its own toleration stays on an unreachable or not-ready node', default: '300' },
  'concurrent-syncs': { type: 'string', help: 'Concurrent reconciles of the ReplicaSet and Deployment controllers', default: '5' },
  v: { type: 'string', help: 'Log verbosity: 0-3 is info, 4 and above is debug', default: '0' },
} as const;

/** Parses a Go-style duration such as `40s`, `1m30s` or `500ms` into seconds; a bare number counts as seconds. */
export function parseDurationSeconds(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!match) throw new UsageError(`invalid duration "${text}": expected a value such as 40s, 1m30s or 500ms`);
    total += Number(match[1]) * units[match[2]];
    rest = rest.slice(match[0].length);
  }
  return total;
}

function parseCount(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`invalid --${name} "${text}": expected a non-negative integer`);
  return value;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, usage, flags);
  if (!parsed) return 0;
  const { values } = parsed;
  if (!values.kubeconfig) throw new UsageError(`missing --kubeconfig\n\nUsage: ${usage}`);
  if (Number(values.v) >= 4) setLogLevel('debug');

  const logger = createLogger('controller-manager');
  const client = ApiClient.fromKubeconfig(values.kubeconfig, 'tinykube-controller-manager');
  const manager = await startControllerManager({
    client,
    leaderElect: values['leader-elect'],
    identity: values['leader-elect-identity'] || undefined,
    onLostLeadership: () => exitOnLostLeadership('controller-manager'),
    nodeMonitorGracePeriodSeconds: parseDurationSeconds(values['node-monitor-grace-period']),
    defaultTolerationSeconds: parseCount('default-not-ready-toleration-seconds', values['default-not-ready-toleration-seconds']),
    workers: Math.max(1, parseCount('concurrent-syncs', values['concurrent-syncs'])),
  });
  logger.info('Controller-manager running', { server: client.server.origin, leaderElect: values['leader-elect'] });

  await waitForShutdownSignal();
  logger.info('Shutting down controller-manager');
  await manager.stop();
  client.close();
  return 0;
}
