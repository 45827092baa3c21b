// `tinykube up`: starts a single-node cluster on this host in one process,
// prints how to point kubectl at it, waits for the node to be Ready and runs
// until SIGINT (Ctrl-C) or SIGTERM.

import os from 'node:os';
import { mkdirSync } from 'node:fs';
import { ApiClient } from '../api/client.js';
import { dataDirFlag, parseFlags, UsageError } from '../api/flags.js';
import { createLogger } from '../api/log.js';
import { startCluster } from './cluster.js';
import { clusterPaths } from './cluster-paths.js';
import { waitForNodeReady } from './node-ready.js';
import { loadClusterSettings, defaultSettings, resolveHostSettings, SettingsConflictError, type HostSettings } from './cluster-settings.js';
import { removePidFile, runningProcess, writePidFile } from './pid-file.js';
import { parsePort, parsePositiveInteger, validateBindAddress, validateBridgeName, validateCgroupRoot, validateNodeName, validatePodCIDR } from './up-flags.js';
import { StateStore } from '../runtime/state.js';

const logger = createLogger('tinykube-up');

/** How long a first start may take to bring the node to Ready before `up` prints a warning; it keeps waiting afterwards. */
const nodeReadyWarningMs = 60_000;
/** How long a clean stop may take before `up` exits anyway. */
const stopTimeoutMs = 20_000;

const usage = 'tinykube up [FLAGS]';
const flags = {
  'data-dir': { ...dataDirFlag(), help: 'Directory for the cluster: API storage, images, pods and the admin kubeconfig' },
  port: { type: 'string' as const, help: 'Port of the apiserver; 0 picks a free port', default: '6443' },
  'bind-address': { type: 'string' as const, help: 'Address the apiserver and the kubelet listen on. They have no authentication, so keep it on loopback', default: '127.0.0.1' },
  'node-name': { type: 'string' as const, help: 'Name of the node that runs the pods', default: os.hostname().toLowerCase() },
  // These three have no parser default: a flag that was not given takes the value stored in the data dir.
  'pod-cidr': { type: 'string' as const, help: `IPv4 range the node gives its pods addresses from, with a prefix length of 8 to 30 (default: the stored value, else "${defaultSettings.podCIDR}")` },
  bridge: { type: 'string' as const, help: `Name of the Linux bridge the pods attach to, at most 15 characters (default: the stored value, else "${defaultSettings.bridgeName}")` },
  'cgroup-root': { type: 'string' as const, help: `Name of the cgroup that contains every pod's cgroup, in each hierarchy (default: the stored value, else "${defaultSettings.cgroupRoot}")` },
  'kubelet-port': { type: 'string' as const, help: 'Port of the kubelet\'s API for logs and exec; 0 picks a free port', default: '10250' },
  'max-pods': { type: 'string' as const, help: 'Maximum number of pods the node runs', default: '110' },
};

/** Resolves with the name of the first SIGINT or SIGTERM; a second one exits at once. */
function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        console.log(`Received ${signal} again; exiting without a clean stop`);
        process.exit(130);
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** The parsed flags; the three without a parser default are undefined when they were not given. */
type UpFlagValues = { [K in keyof typeof flags]: K extends 'pod-cidr' | 'bridge' | 'cgroup-root' ? string | undefined : string };

/** The flags of one start, checked and converted. */
interface UpOptions {
  dataDir: string;
  port: number;
  bindAddress: string;
  nodeName: string;
  kubeletPort: number;
  maxPods: number;
  requested: Partial<HostSettings>;
}

/** Checks every flag before anything starts; throws UsageError, which exits with code 2. */
function validateFlags(values: UpFlagValues): UpOptions {
  const requested: Partial<HostSettings> = {};
  if (values.bridge !== undefined) requested.bridgeName = validateBridgeName(values.bridge);
  if (values['pod-cidr'] !== undefined) requested.podCIDR = validatePodCIDR(values['pod-cidr']);
  if (values['cgroup-root'] !== undefined) requested.cgroupRoot = validateCgroupRoot(values['cgroup-root']);
  if (values['data-dir'] === '') throw new UsageError('invalid --data-dir "": expected a directory path');
  return {
    dataDir: values['data-dir'],
    port: parsePort('port', values.port),
    bindAddress: validateBindAddress(values['bind-address']),
    nodeName: validateNodeName(values['node-name']),
    kubeletPort: parsePort('kubelet-port', values['kubelet-port']),
    maxPods: parsePositiveInteger('max-pods', values['max-pods']),
    requested,
  };
}

/** Reads whether the runtime state under the data dir still records a sandbox, without opening the runtime. */
async function hasSandboxes(runtimeDir: string): Promise<boolean> {
  return (await new StateStore(runtimeDir).loadSandboxes()).length > 0;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, usage, flags);
  if (!parsed) return 0;
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected arguments: ${parsed.positionals.join(' ')}\n\nUsage: ${usage}`);
  const options = validateFlags(parsed.values);

  if (process.getuid?.() !== 0) {
    console.error('tinykube up must run as root: pods need namespaces, mounts, cgroups and network devices');
    return 1;
  }

  const paths = clusterPaths(options.dataDir);
  mkdirSync(paths.dataDir, { recursive: true });
  const other = runningProcess(paths.pidFile);
  if (other) {
    console.error(`A cluster already runs on ${paths.dataDir} (PID ${other.pid}); stop it with Ctrl-C or \`tinykube down --data-dir ${paths.dataDir}\``);
    return 1;
  }

  let settings: HostSettings;
  try {
    settings = resolveHostSettings({
      dataDir: paths.dataDir,
      stored: loadClusterSettings(paths.dataDir),
      requested: options.requested,
      hasSandboxes: await hasSandboxes(paths.runtime),
    });
  } catch (error) {
    if (!(error instanceof SettingsConflictError)) throw error;
    console.error(`tinykube up: ${error.message}`);
    return 1;
  }
  writePidFile(paths.pidFile);

  // Signals are caught from the start, so that Ctrl-C during a slow first
  // start still stops what has started.
  const stopSignal = waitForStopSignal();
  try {
    return await runCluster(options, settings, stopSignal);
  } finally {
    removePidFile(paths.pidFile);
  }
}

async function runCluster(options: UpOptions, settings: HostSettings, stopSignal: Promise<NodeJS.Signals>): Promise<number> {
  const nodeName = options.nodeName;
  let announcedBaseImage = false;
  const cluster = await startCluster({
    dataDir: options.dataDir,
    port: options.port,
    bindAddress: options.bindAddress,
    nodeName,
    podCIDR: settings.podCIDR,
    bridgeName: settings.bridgeName,
    cgroupRoot: settings.cgroupRoot,
    kubeletPort: options.kubeletPort,
    maxPods: options.maxPods,
    onApiserverReady: (kubeconfigPath) => {
      console.log(`The admin kubeconfig is ${kubeconfigPath}. To use kubectl with this cluster, run:`);
      console.log(`  export KUBECONFIG=${kubeconfigPath}`);
    },
    onBaseImageProgress: (message) => {
      if (!announcedBaseImage) {
        console.log('Building the base image tinykube/base from this host\'s binaries (first start only)');
        announcedBaseImage = true;
      }
      console.log(`  ${message}`);
    },
  });

  // A signal that came during the start resolved stopSignal already; abort at once rather than in a later microtask.
  const abort = new AbortController();
  void stopSignal.then(() => abort.abort());
  await Promise.race([stopSignal, Promise.resolve()]);
  const client = new ApiClient({ server: cluster.url, userAgent: 'tinykube-up' });
  try {
    let ready = await waitForNodeReady(client, nodeName, nodeReadyWarningMs, abort.signal);
    if (!ready && !abort.signal.aborted) {
      console.log(`Node ${nodeName} is not Ready after ${nodeReadyWarningMs / 1000} s; still waiting (see \`kubectl describe node ${nodeName}\`)`);
      ready = await waitForNodeReady(client, nodeName, Number.POSITIVE_INFINITY, abort.signal);
    }
    if (ready) console.log(`Node ${nodeName} is Ready. Press Ctrl-C to stop the cluster.`);
  } catch (error) {
    // The cluster still serves; a failed readiness poll is worth a warning, not a shutdown.
    logger.warn('Waiting for the node to be Ready failed', { node: nodeName, err: error });
  } finally {
    client.close();
  }

  const signal = await stopSignal;
  console.log(`Received ${signal}; stopping the cluster. Pods keep running until \`tinykube down\` removes them.`);
  const stopped = await Promise.race([
    cluster.stop().then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), stopTimeoutMs).unref()),
  ]);
  if (!stopped) {
    logger.error('Stopping the cluster timed out; exiting anyway', { timeoutSeconds: stopTimeoutMs / 1000 });
    exitSoon(1, 0);
    return 1;
  }
  console.log('Stopped.');
  exitSoon(0, 2_000);
  return 0;
}

/**
 * Exits after delayMs if a handle that a component failed to close still
 * keeps the event loop alive. The timer is unref'd, so a clean stop exits
 * at once without waiting for it.
 */
function exitSoon(code: number, delayMs: number): void {
  setTimeout(() => {
    logger.warn('Open handles remain after the stop; exiting', { code });
    process.exit(code);
  }, delayMs).unref();
}
