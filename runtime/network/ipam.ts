// IP address management for the node's pod CIDR, kept on disk as the CNI
// host-local plugin does. Each allocated address is a file named by the
// address and containing the sandbox id. O_EXCL creation keeps two
// allocations from taking the same address.

import { mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Subnet {
  /** Network address as a 32-bit number. */
  network: number;
  prefixLength: number;
}

export function parseCidr(cidr: string): Subnet {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new Error(`invalid pod CIDR \`${cidr}\`: expected an IPv4 CIDR such as 10.88.0.0/24`);
  const octets = match.slice(1, 5).map(Number);
  const prefixLength = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefixLength < 8 || prefixLength > 30) {
    throw new Error(`invalid pod CIDR \`${cidr}\`: octets must be 0-255 and the prefix length 8-30`);
  }
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefixLength === 0 ? 0 : (~0 << (32 - prefixLength)) >>> 0;
  return { network: (address & mask) >>> 0, prefixLength };
}

export function formatAddress(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join('.');
}

/** The bridge's address: the first host address of the subnet, as the CNI bridge plugin picks it. */
export function gatewayAddress(subnet: Subnet): string {
  return formatAddress(subnet.network + 1);
}

export class Ipam {
  private readonly directory: string;

  constructor(dataDir: string, private readonly subnet: Subnet) {
    this.directory = join(dataDir, 'network', 'ipam');
  }

  /** Allocates the next free address after the last one handed out, wrapping around, as host-local does. */
  async allocate(sandboxId: string): Promise<string> {
    await mkdir(this.directory, { recursive: true });
    const size = 2 ** (32 - this.subnet.prefixLength);
    const first = this.subnet.network + 2;
    const last = this.subnet.network + size - 2;
    const previous = await this.lastAllocated();
    const start = previous !== undefined && previous >= first && previous < last ? previous + 1 : first;

    for (let offset = 0; offset <= last - first; offset++) {
      const address = formatAddress(first + ((start - first + offset) % (last - first + 1)));
      if (await this.claim(address, sandboxId)) {
        await writeFile(join(this.directory, 'last_reserved_ip'), address);
        return address;
      }
    }
    throw new Error(`no free address left in ${formatAddress(this.subnet.network)}/${this.subnet.prefixLength}`);
  }

  private async claim(address: string, sandboxId: string): Promise<boolean> {
    try {
      const file = await open(join(this.directory, address), 'wx');
      try {
        await file.writeFile(sandboxId);
      } finally {
        await file.close();
      }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new Error(`open \`${join(this.directory, address)}\``, { cause: error });
    }
  }

  private async lastAllocated(): Promise<number | undefined> {
    try {
      const text = (await readFile(join(this.directory, 'last_reserved_ip'), 'utf8')).trim();
      const octets = text.split('.').map(Number);
      return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
    } catch {
      return undefined;
    }
  }

  /** Releases every address held by the sandbox; releasing twice is harmless. */
  async release(sandboxId: string): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.directory);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(entry)) continue;
      const owner = await readFile(join(this.directory, entry), 'utf8').catch(() => '');
      if (owner.trim() === sandboxId) await rm(join(this.directory, entry), { force: true });
    }
  }
}
