// The CNI network plugin. It runs the standard plugins (bridge with
// host-local IPAM) from /opt/cni/bin or /usr/lib/cni, with a conflist
// generated for this node. As the CNI specification says, ADD runs the
// plugins in order, each receiving the previous one's result, and DEL runs
// them in reverse order.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createLogger } from '../../api/log.js';
import { ip, linkExists } from './iproute.js';
import { formatAddress, gatewayAddress, parseCidr } from './ipam.js';
import type { NetworkPlugin, PodNetwork, PreparedNetwork } from './types.js';

const log = createLogger('runtime', { plugin: 'cni' });

export const cniBinDirs = ['/opt/cni/bin', '/usr/lib/cni'];

/** Returns the first directory with the bridge and host-local plugins, or undefined. */
export function findCniBinDir(): string | undefined {
  return cniBinDirs.find((directory) => existsSync(join(directory, 'bridge')) && existsSync(join(directory, 'host-local')));
}

interface CniResult {
  ips?: { address: string; gateway?: string; interface?: number }[];
  interfaces?: { name: string; sandbox?: string }[];
}

interface PluginConfig {
  type: string;
  [key: string]: unknown;
}

export interface CniOptions {
  dataDir: string;
  binDir: string;
  bridgeName: string;
  podCIDR: string;
  masquerade: boolean;
}

/** Parses a plugin's stdout: an ADD result, or an error object with `msg`, as the CNI specification defines them. */
function parseResult(output: string): CniResult & { msg?: string } {
  if (!output.trim()) return {};
  return JSON.parse(output) as CniResult & { msg?: string };
}

/** Returns the message of a plugin's JSON error output, or the output itself. */
export function cniErrorMessage(output: string): string {
  try {
    return parseResult(output).msg ?? output.trim();
  } catch {
    return output.trim();
  }
}

export class CniPlugin implements NetworkPlugin {
  readonly name = 'cni';
  private readonly networkName: string;
  private readonly plugins: PluginConfig[];
  private readonly stateDir: string;
  private conflistWritten: Promise<void> | undefined;

  constructor(private readonly options: CniOptions) {
    const subnet = parseCidr(options.podCIDR);
    this.networkName = `tinykube-${options.bridgeName}`;
    this.stateDir = join(options.dataDir, 'network', 'cni');
    this.plugins = [
      {
        type: 'bridge',
        bridge: options.bridgeName,
        // NOTE: with isGateway the bridge plugin also turns on net.ipv4.ip_forward for the whole node.
        isGateway: true,
        ipMasq: options.masquerade,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: `${formatAddress(subnet.network)}/${subnet.prefixLength}`, gateway: gatewayAddress(subnet) }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: join(this.stateDir, 'ipam'),
        },
      },
    ];
  }

  /** Returns the conflist the plugins run with; setUp writes it next to the state for debugging. */
  private conflist(): object {
    return { cniVersion: '1.0.0', name: this.networkName, plugins: this.plugins };
  }

  private pluginConfig(plugin: PluginConfig, prevResult?: CniResult): object {
    return { cniVersion: '1.0.0', name: this.networkName, ...plugin, ...(prevResult ? { prevResult } : {}) };
  }

  /** Writes the conflist, for debugging, once per plugin instance. */
  private writeConflist(): Promise<void> {
    this.conflistWritten ??= (async () => {
      await mkdir(this.stateDir, { recursive: true });
      await writeFile(join(this.stateDir, 'tinykube.conflist'), JSON.stringify(this.conflist(), null, 2));
    })().catch((error: unknown) => {
      this.conflistWritten = undefined;
      throw error;
    });
    return this.conflistWritten;
  }

  /**
   * Describes the ADD that tkinit runs as it starts the holder, which saves
   * the kubelet a process spawn per pod. tkinit runs a single plugin, which
   * the chain of this node is (bridge, delegating to host-local).
   */
  async prepare(sandboxId: string): Promise<PreparedNetwork> {
    const [plugin] = this.plugins;
    if (!plugin || this.plugins.length !== 1) throw new Error(`tkinit runs one CNI plugin, but the chain has ${this.plugins.length}`);
    await this.writeConflist();
    return {
      kind: 'cni',
      plugin: join(this.options.binDir, plugin.type),
      binDir: this.options.binDir,
      config: JSON.stringify(this.pluginConfig(plugin)),
      finish: (output) => this.recordResult(sandboxId, parseResult(output)),
    };
  }

  private invoke(command: 'ADD' | 'DEL', plugin: PluginConfig, sandboxId: string, netns: string, prevResult?: CniResult): Promise<CniResult> {
    const config = this.pluginConfig(plugin, prevResult);
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: sandboxId,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: this.options.binDir,
    };
    return new Promise((resolve, reject) => {
      const child = execFile(join(this.options.binDir, plugin.type), [], { env }, (error, stdout) => {
        if (error) {
          // Plugins report errors as JSON on stdout: {"code":…, "msg":…}.
          const detail = cniErrorMessage(stdout);
          reject(new Error(`CNI ${command} ${plugin.type} for sandbox ${sandboxId}: ${detail || error.message}`, { cause: error }));
          return;
        }
        resolve(stdout.trim() ? (JSON.parse(stdout) as CniResult) : {});
      });
      child.stdin?.end(JSON.stringify(config));
    });
  }

  async setUp(sandboxId: string, holderPid: number): Promise<PodNetwork> {
    await this.writeConflist();
    const netns = `/proc/${holderPid}/ns/net`;
    let result: CniResult | undefined;
    try {
      for (const plugin of this.plugins) result = await this.invoke('ADD', plugin, sandboxId, netns, result);
    } catch (error) {
      await this.tearDown(sandboxId, holderPid, undefined).catch(() => undefined);
      throw error;
    }
    return this.recordResult(sandboxId, result ?? {});
  }

  /** Stores an ADD result for the DEL and returns the pod network it describes. */
  private async recordResult(sandboxId: string, result: CniResult): Promise<PodNetwork> {
    const address = result.ips?.[0];
    if (!address) throw new Error(`CNI ADD for sandbox ${sandboxId} returned no IP address`);
    const [ipAddress, prefix] = address.address.split('/');
    const hostVeth = result.interfaces?.find((entry) => !entry.sandbox && entry.name !== this.options.bridgeName)?.name ?? '';
    await mkdir(this.stateDir, { recursive: true });
    await writeFile(join(this.stateDir, `${sandboxId}.json`), JSON.stringify(result));
    log.debug('CNI ADD done', { sandbox: sandboxId, ip: ipAddress, veth: hostVeth });
    return { ip: ipAddress, prefixLength: Number(prefix), gateway: address.gateway ?? '', hostVeth };
  }

  async tearDown(sandboxId: string, holderPid: number | undefined, network: PodNetwork | undefined): Promise<void> {
    // DEL must succeed even when the namespace is gone; the plugins then only release the address and NAT rules.
    const netns = holderPid !== undefined && existsSync(`/proc/${holderPid}/ns/net`) ? `/proc/${holderPid}/ns/net` : '';
    const resultPath = join(this.stateDir, `${sandboxId}.json`);
    const prevResult = await readFile(resultPath, 'utf8').then((text) => JSON.parse(text) as CniResult).catch(() => undefined);
    for (const plugin of [...this.plugins].reverse()) await this.invoke('DEL', plugin, sandboxId, netns, prevResult);
    if (network?.hostVeth && linkExists(network.hostVeth)) await ip(['link', 'del', network.hostVeth]).catch(() => undefined);
    await rm(resultPath, { force: true });
  }

  async removeNodeNetwork(): Promise<void> {
    if (linkExists(this.options.bridgeName)) await ip(['link', 'del', this.options.bridgeName]);
  }
}
