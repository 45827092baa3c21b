// `tinykube kubelet`: makes this machine a node of the cluster and runs the
// pods bound to it until SIGINT or SIGTERM. Stopping the kubelet leaves its
// containers running; the next kubelet on the same data dir takes them over.

import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { ApiClient } from '../api/client.js';
import { dataDirFlag, parseFlags, UsageError } from '../api/flags.js';
import { createLogger } from '../api/log.js';
import { waitForShutdownSignal } from '../api/signals.js';
import { joinRuntimeAndImages } from '../cli/node-runtime.js';
import { ImageStore } from '../runtime/image/store.js';
import { createRuntime } from '../runtime/runtime.js';
import { reexecWithHeapFlags } from './heap-flags.js';
import { startKubelet } from './kubelet.js';

const logger = createLogger('kubelet');

const usage = 'tinykube kubelet --kubeconfig FILE --node-name NAME [--data-dir DIR] [--max-pods 110] [--pod-cidr CIDR] [--address IP] [--port 10250]';

const flags = {
  kubeconfig: { type: 'string', help: 'Kubeconfig file whose current context points at the apiserver' },
  'node-name': { type: 'string', help: 'Name of the Node object this kubelet registers' },
  'data-dir': dataDirFlag(),
  'max-pods': { type: 'string', help: 'Number of pods this node accepts, reported as its pods capacity', default: '110' },
  'pod-cidr': { type: 'string', help: 'IPv4 range of the pod IPs on this node, such as 10.244.1.0/24; the runtime default (10.88.0.0/16) when empty' },
  address: { type: 'string', help: 'IP address the kubelet API listens on and the node reports as its InternalIP. The API has no authentication, so keep it on loopback unless the network is trusted', default: '127.0.0.1' },
  port: { type: 'string', help: 'TCP port of the kubelet API (logs and exec); 0 picks a free one', default: '10250' },
  'bridge-name': { type: 'string', help: 'Name of the Linux bridge the pods attach to, at most 15 characters', default: 'tinykube0' },
  'cgroup-root': { type: 'string', help: 'Cgroup under which pods get their cgroups', default: 'tinykube' },
} as const;

function integerFlag(name: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new UsageError(`invalid --${name} "${value}": expected an integer from ${min} to ${max}`);
  return parsed;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, usage, flags);
  if (!parsed) return 0;
  const values = parsed.values;
  if (!values.kubeconfig) throw new UsageError('missing --kubeconfig: the kubelet needs to know where the apiserver is');
  if (!values['node-name']) throw new UsageError('missing --node-name: every node needs a name');
  if (!net.isIP(values.address)) throw new UsageError(`invalid --address "${values.address}": expected an IP address`);
  const maxPods = integerFlag('max-pods', values['max-pods'], 1, 10_000);
  const port = integerFlag('port', values.port, 0, 65_535);
  const dataDir = values['data-dir'];
  reexecWithHeapFlags();
  mkdirSync(dataDir, { recursive: true });

  const images = await ImageStore.open(dataDir);
  const runtimeService = await createRuntime({
    dataDir,
    images,
    bridgeName: values['bridge-name'],
    cgroupRoot: values['cgroup-root'],
    ...(values['pod-cidr'] ? { podCIDR: values['pod-cidr'] } : {}),
  });
  // The kubelet needs both CRI services, and the image store implements the image half.
  const runtime = joinRuntimeAndImages(runtimeService, images);

  const client = ApiClient.fromKubeconfig(values.kubeconfig, `kubelet/${values['node-name']}`);
  const kubelet = await startKubelet({
    client, runtime, dataDir, maxPods, port,
    nodeName: values['node-name'],
    address: values.address,
    ...(values['pod-cidr'] ? { podCIDR: values['pod-cidr'] } : {}),
  });

  const signal = await waitForShutdownSignal();
  logger.info('Received signal, shutting down', { signal });
  await kubelet.stop();
  await runtimeService.close();
  client.close();
  return 0;
}
