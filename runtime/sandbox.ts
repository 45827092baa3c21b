// Starting and stopping a pod sandbox's holder, and the /etc files that every
// container of the pod gets bind-mounted.

import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { PodSandboxConfig } from './cri.js';
import type { PreparedNetwork } from './network/types.js';
import { NativeError, nativeArguments, runNative } from './native.js';
import { cniErrorMessage } from './network/cni.js';
import { isProcessAlive, pollUntil, processStartTime, signalProcess } from './proc.js';

export interface Holder {
  pid: number;
  startTime: number;
}

/** tkinit's sandbox arguments for a network it connects while starting the holder. */
function networkArguments(network: PreparedNetwork | undefined): Record<string, string | undefined> {
  if (network?.kind === 'veth') {
    const pod = network.network;
    return { veth: pod.hostVeth, bridge: network.bridgeName, address: `${pod.ip}/${pod.prefixLength}`, gateway: pod.gateway };
  }
  if (network?.kind === 'cni') return { cni: network.plugin, cnipath: network.binDir };
  return {};
}

/**
 * Starts the holder in new pid and ipc namespaces, plus uts and net unless
 * the pod uses the host network. Returns it with the CNI plugin's ADD result
 * when NETWORK is of kind `cni`.
 */
export async function startHolder(options: { sandboxId: string; hostname: string; hostNetwork: boolean; cgroupProcs: string[]; network?: PreparedNetwork }): Promise<Holder & { cniResult: string }> {
  const args = nativeArguments({
    hostname: options.hostname,
    hostnet: options.hostNetwork,
    cgroup: options.cgroupProcs,
    containerid: options.sandboxId,
    ...networkArguments(options.network),
  });
  const input = options.network?.kind === 'cni' ? options.network.config : undefined;
  const { stdout } = await runNative('sandbox', args, { input }).catch((error: unknown) => {
    // A failed CNI plugin reports why as JSON on stdout, after the holder's PID line.
    const newline = error instanceof NativeError ? error.stdout.indexOf('\n') : -1;
    if (!(error instanceof NativeError) || input === undefined || newline < 0) throw error;
    throw new Error(`${error.message}: ${cniErrorMessage(error.stdout.slice(newline + 1))}`, { cause: error });
  });
  const newline = stdout.indexOf('\n');
  const pidLine = newline < 0 ? stdout : stdout.slice(0, newline);
  const pid = Number(pidLine.trim());
  const startTime = await processStartTime(pid);
  if (!Number.isInteger(pid) || pid <= 0 || startTime === undefined) throw new Error(`tkinit sandbox: holder exited at once (output \`${pidLine.trim()}\`)`);
  return { pid, startTime, cniResult: newline < 0 ? '' : stdout.slice(newline + 1) };
}

/** Kills the holder (SIGKILL, since PID 1 of a namespace ignores unhandled signals) and waits until it is gone. */
export async function killHolder(holder: Holder): Promise<void> {
  if (!(await isProcessAlive(holder.pid, holder.startTime))) return;
  signalProcess(holder.pid, 'SIGKILL');
  const gone = await pollUntil(async () => !(await isProcessAlive(holder.pid, holder.startTime)), 5000);
  if (!gone) throw new Error(`holder pid ${holder.pid} still running 5 s after SIGKILL`);
}

/**
 * Host resolver configuration for pods without DNS servers, read once per
 * process; systemd-resolved's stub at 127.0.0.53 would be unreachable from a pod.
 */
let cachedResolvConf: Promise<string> | undefined;

async function hostResolvConf(): Promise<string> {
  cachedResolvConf ??= readHostResolvConf();
  return cachedResolvConf;
}

async function readHostResolvConf(): Promise<string> {
  for (const path of ['/run/systemd/resolve/resolv.conf', '/etc/resolv.conf']) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      // Try the next candidate.
    }
  }
  return '';
}

export const etcFiles = ['hostname', 'hosts', 'resolv.conf'] as const;

/** Writes the pod's /etc/hostname, /etc/hosts and /etc/resolv.conf into DIRECTORY, as the kubelet does; small files, written synchronously. */
export async function writeEtcFiles(directory: string, config: PodSandboxConfig, hostname: string, ip: string | undefined): Promise<void> {
  writeFileSync(join(directory, 'hostname'), `${hostname}\n`);

  const hosts = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  if (ip) hosts.push(`${ip}\t${hostname}`);
  writeFileSync(join(directory, 'hosts'), hosts.join('\n') + '\n');

  const resolvConf = config.dnsServers && config.dnsServers.length > 0
    ? config.dnsServers.map((server) => `nameserver ${server}`).join('\n') + `\nsearch ${config.namespace}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`
    : await hostResolvConf();
  writeFileSync(join(directory, 'resolv.conf'), resolvConf);
}
