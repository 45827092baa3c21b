// The built-in network plugin, which does what the CNI bridge and host-local
// plugins do. The node bridge carries the pod CIDR's first address. Each pod
// gets a veth pair with `eth0` inside, an address from the CIDR and a default
// route through the bridge. A MASQUERADE rule covers traffic leaving the CIDR.

import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

import { createLogger } from '../../api/log.js';
import { Ipam, formatAddress, gatewayAddress, parseCidr, type Subnet } from './ipam.js';
import { ip, ipBatch, ipBatchInNetns, linkExists } from './iproute.js';
import type { NetworkPlugin, PodNetwork, PreparedNetwork } from './types.js';

const log = createLogger('runtime', { plugin: 'bridge' });

export interface BridgeOptions {
  dataDir: string;
  bridgeName: string;
  podCIDR: string;
  /** Adds the MASQUERADE rule and turns on IPv4 forwarding, which NAT needs. */
  masquerade: boolean;
}

/** Returns the host end's name of a sandbox's veth pair, within Linux's 15-character limit. */
export function hostVethName(sandboxId: string): string {
  return `veth${sandboxId.slice(0, 11)}`;
}

function iptables(args: string[]): Promise<boolean> {
  return new Promise((resolve) => execFile('iptables', ['-w', ...args], (error) => resolve(!error)));
}

export class BridgePlugin implements NetworkPlugin {
  readonly name = 'bridge';
  private readonly subnet: Subnet;
  private readonly ipam: Ipam;
  private bridgeReady: Promise<void> | undefined;

  constructor(private readonly options: BridgeOptions) {
    this.subnet = parseCidr(options.podCIDR);
    this.ipam = new Ipam(options.dataDir, this.subnet);
  }

  private get masqueradeRule(): string[] {
    const cidr = `${formatAddress(this.subnet.network)}/${this.subnet.prefixLength}`;
    return ['-t', 'nat', 'POSTROUTING', '-s', cidr, '!', '-o', this.options.bridgeName, '-m', 'comment', '--comment', `tinykube ${this.options.bridgeName}`, '-j', 'MASQUERADE'];
  }

  private ruleCommand(action: '-C' | '-A' | '-D'): string[] {
    const [table, name, chain, ...rest] = this.masqueradeRule;
    return [table, name, action, chain, ...rest];
  }

  private async createBridge(): Promise<void> {
    const name = this.options.bridgeName;
    if (!linkExists(name)) {
      try {
        await ipBatch([
          `link add ${name} type bridge`,
          `addr add ${gatewayAddress(this.subnet)}/${this.subnet.prefixLength} dev ${name}`,
          `link set ${name} up`,
        ]);
        log.info('Created bridge', { bridge: name, cidr: this.options.podCIDR });
      } catch (error) {
        // Another runtime on the same bridge may have won the race.
        if (!linkExists(name)) throw error;
      }
    }
    if (this.options.masquerade) await this.addMasquerade();
  }

  private async addMasquerade(): Promise<void> {
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
    if (await iptables(this.ruleCommand('-C'))) return;
    if (!(await iptables(this.ruleCommand('-A')))) log.warn('Could not add the MASQUERADE rule: pods will not reach outside the node', { bridge: this.options.bridgeName });
  }

  private ensureBridge(): Promise<void> {
    this.bridgeReady ??= this.createBridge().catch((error: unknown) => {
      this.bridgeReady = undefined;
      throw error;
    });
    return this.bridgeReady;
  }

  async prepare(sandboxId: string): Promise<PreparedNetwork> {
    await this.ensureBridge();
    const address = await this.ipam.allocate(sandboxId);
    const network = { ip: address, prefixLength: this.subnet.prefixLength, gateway: gatewayAddress(this.subnet), hostVeth: hostVethName(sandboxId) };
    return { kind: 'veth', network, bridgeName: this.options.bridgeName };
  }

  /** Connects a holder that already runs, through iproute2. */
  async setUp(sandboxId: string, holderPid: number): Promise<PodNetwork> {
    const prepared = await this.prepare(sandboxId);
    if (prepared.kind !== 'veth') throw new Error(`bridge plugin prepared a ${prepared.kind} network`);
    const { network } = prepared;
    try {
      await ipBatch([
        `link add ${network.hostVeth} type veth peer name eth0 netns ${holderPid}`,
        `link set ${network.hostVeth} master ${this.options.bridgeName} up`,
      ]);
      await ipBatchInNetns(holderPid, [`addr add ${network.ip}/${network.prefixLength} dev eth0`, 'link set eth0 up', `route add default via ${network.gateway}`]);
    } catch (error) {
      await this.tearDown(sandboxId, holderPid, network);
      throw error;
    }
    return network;
  }

  async tearDown(sandboxId: string, _holderPid: number | undefined, network: PodNetwork | undefined): Promise<void> {
    // Deleting the host end removes the peer too; the veth is also gone once the pod's namespace is freed.
    const veth = network?.hostVeth ?? hostVethName(sandboxId);
    if (linkExists(veth)) await ip(['link', 'del', veth]).catch((error: unknown) => {
      if (linkExists(veth)) throw error;
    });
    await this.ipam.release(sandboxId);
  }

  async removeNodeNetwork(): Promise<void> {
    while (await iptables(this.ruleCommand('-C'))) {
      if (!(await iptables(this.ruleCommand('-D')))) break;
    }
    if (linkExists(this.options.bridgeName)) await ip(['link', 'del', this.options.bridgeName]);
    this.bridgeReady = undefined;
  }
}
