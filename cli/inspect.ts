// `tinykube inspect pod NAME`: shows the kernel features a running pod is
// built from. They are the sandbox PID, the namespace inodes of the sandbox
// and of each container, the cgroups with the limits in force, the overlay
// dirs of each container's root filesystem, and the pod's veth and IP.
//
// The pod is looked up through the API (for its uid and node), and the rest
// is read from the runtime's records and /proc on this node, so it must run
// on the node, as root.

import { existsSync } from 'node:fs';
import { ApiClient, isNotFound } from '../api/client.js';
import { dataDirFlag, parseFlags } from '../api/flags.js';
import { readKubeconfig } from '../api/kubeconfig.js';
import { pods } from '../api/resources.js';
import type { Pod } from '../api/types.js';
import { inspectPodSandbox, type PodInspection } from '../runtime/inspect.js';
import { createRuntime } from '../runtime/runtime.js';
import { clusterPaths } from './cluster-paths.js';
import { loadClusterSettings } from './cluster-settings.js';
import { formatInspection, type PodSummary } from './inspect-format.js';

const usage = 'tinykube inspect pod NAME [-n NAMESPACE] [--kubeconfig FILE] [--data-dir DIR] [-o json]';
const flags = {
  namespace: { type: 'string' as const, short: 'n', help: 'Namespace of the pod; the kubeconfig context\'s namespace, or "default", when unset' },
  kubeconfig: { type: 'string' as const, help: 'Kubeconfig of the cluster; $KUBECONFIG, then DATA_DIR/admin.kubeconfig, when unset' },
  'data-dir': { ...dataDirFlag(), help: 'Data dir of the cluster that runs the pod on this node' },
  output: { type: 'string' as const, short: 'o', help: 'Output format: "text" or "json"', default: 'text' },
};

/** The failure a user can fix, printed without a stack trace. */
class InspectError extends Error {}

function kubeconfigPath(flag: string | undefined, dataDir: string): string {
  const path = flag || process.env.KUBECONFIG || clusterPaths(dataDir).kubeconfig;
  if (!existsSync(path)) throw new InspectError(`kubeconfig ${path} not found; pass --kubeconfig or the cluster's --data-dir`);
  return path;
}

/** Socket errors that mean no apiserver listens at the address, rather than a failed request. */
const unreachableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN']);

function isUnreachable(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if ('code' in cause && typeof cause.code === 'string' && unreachableCodes.has(cause.code)) return true;
  }
  return false;
}

async function getPod(kubeconfig: string, namespace: string, name: string): Promise<Pod> {
  const server = readKubeconfig(kubeconfig).server;
  const client = ApiClient.fromKubeconfig(kubeconfig, 'tinykube-inspect');
  try {
    return await client.get<Pod>(pods, namespace, name);
  } catch (error) {
    if (isNotFound(error)) throw new InspectError(`pod "${name}" not found in namespace "${namespace}"`);
    if (isUnreachable(error)) throw new InspectError(`cannot reach the apiserver at ${server}; is the cluster running (tinykube up)?`);
    throw error;
  } finally {
    client.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, usage, flags);
  if (!parsed) return 0;
  const [kind, name, ...extra] = parsed.positionals;
  const options = parsed.values;
  if (kind !== 'pod' && kind !== 'pods' && kind !== 'po') {
    console.error(`tinykube inspect: expected "pod" and a pod name\n\nUsage: ${usage}`);
    return 1;
  }
  if (!name || extra.length > 0) {
    console.error(`tinykube inspect: expected exactly one pod name\n\nUsage: ${usage}`);
    return 1;
  }
  if (process.getuid?.() !== 0) {
    console.error('tinykube inspect must run as root: it reads the namespaces of other processes in /proc');
    return 1;
  }
  if (options.output !== 'text' && options.output !== 'json') {
    console.error(`tinykube inspect: invalid --output "${options.output}": expected "text" or "json"`);
    return 1;
  }

  try {
    const output = await inspect(name, options);
    process.stdout.write(output);
    return 0;
  } catch (error) {
    if (!(error instanceof InspectError)) throw error;
    console.error(`tinykube inspect: ${error.message}`);
    return 1;
  }
}

/** Puts the sandbox first and the containers in the pod spec's order, which is the order kubectl shows them in. */
function orderAsInSpec(inspection: PodInspection, pod: Pod): PodInspection {
  const names = ['sandbox', ...pod.spec.containers.map((container) => container.name)];
  const rank = (name: string) => (names.includes(name) ? names.indexOf(name) : names.length);
  return { ...inspection, processes: [...inspection.processes].sort((a, b) => rank(a.name) - rank(b.name)) };
}

async function inspect(name: string, options: { namespace: string; kubeconfig: string; 'data-dir': string; output: string }): Promise<string> {
  const paths = clusterPaths(options['data-dir']);
  const kubeconfig = kubeconfigPath(options.kubeconfig, paths.dataDir);
  const namespace = options.namespace || readKubeconfig(kubeconfig).namespace || 'default';
  const pod = await getPod(kubeconfig, namespace, name);
  const uid = pod.metadata.uid ?? '';
  const node = pod.spec.nodeName ?? '';
  if (!node) throw new InspectError(`pod ${namespace}/${name} is not scheduled to a node yet`);

  const settings = loadClusterSettings(paths.dataDir);
  if (!settings) throw new InspectError(`${paths.dataDir} holds no cluster started by \`tinykube up\`; pass the cluster's --data-dir`);
  if (settings.nodeName && settings.nodeName !== node) {
    throw new InspectError(`pod ${namespace}/${name} runs on node ${node}, but ${paths.dataDir} is node ${settings.nodeName}'s; run the command there`);
  }

  const runtime = await createRuntime({
    dataDir: paths.runtime,
    bridgeName: settings.bridgeName,
    podCIDR: settings.podCIDR,
    cgroupRoot: settings.cgroupRoot,
    // Inspection reads records and /proc only; it never resolves an image.
    images: { resolve: async () => undefined },
  });
  try {
    // A pod whose sandbox was recreated (after a crash of the holder) has older, stopped sandboxes too; the newest is the one in use.
    const sandboxes = (await runtime.listPodSandboxes()).filter((sandbox) => sandbox.uid === uid).sort((a, b) => b.createdAt - a.createdAt);
    const sandbox = sandboxes[0];
    if (!sandbox) throw new InspectError(`pod ${namespace}/${name} has no sandbox on this node (phase ${pod.status?.phase ?? 'unknown'})`);

    const inspection = orderAsInSpec(await inspectPodSandbox(runtime, sandbox.id), pod);
    const summary: PodSummary = { namespace, name, uid, node, phase: pod.status?.phase ?? 'Unknown', bridgeName: settings.bridgeName, cgroupRoot: settings.cgroupRoot };
    if (options.output === 'json') return JSON.stringify({ ...summary, ...inspection }, null, 2) + '\n';
    return formatInspection(summary, inspection);
  } finally {
    await runtime.close();
  }
}
