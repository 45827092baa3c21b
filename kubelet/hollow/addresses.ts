// Fake addresses for hollow nodes and their pods. Node i (0 ≤ i < 65,536)
// gets the InternalIP 127.1.(i >> 8).(i & 255), on loopback so that nothing
// routes to it off the machine, and the pod range 10.(64 + (i >> 8)).(i & 255).0/24,
// whose addresses .2 to .254 go to its pods. Indexes are unique in the
// cluster, so that several hollow-nodes processes give out distinct addresses.

export const maxHollowNodes = 65_536;

export function nodeAddress(index: number): string {
  return `127.1.${index >> 8}.${index & 255}`;
}

export function podCIDR(index: number): string {
  return `10.${64 + (index >> 8)}.${index & 255}.0/24`;
}

/** Returns the index whose pod range is cidr, or undefined for a range that no hollow node has. */
export function indexOfPodCIDR(cidr: string | undefined): number | undefined {
  const match = /^10\.(\d+)\.(\d+)\.0\/24$/.exec(cidr ?? '');
  if (match === null) return undefined;
  const high = Number(match[1]) - 64;
  const low = Number(match[2]);
  return high >= 0 && high < 256 && low < 256 ? high * 256 + low : undefined;
}

/**
 * Chooses an index for each of names. A node that exists keeps its index.
 * A new node gets its position in names unless another node has that index
 * already, and otherwise the lowest free one.
 */
export function assignIndexes(names: readonly string[], existing: ReadonlyMap<string, string | undefined>): number[] {
  const owners = new Map<number, string>();
  for (const [name, cidr] of existing) {
    const index = indexOfPodCIDR(cidr);
    if (index !== undefined) owners.set(index, name);
  }
  const assigned = new Set<number>();
  const unavailable = (index: number, name: string) => assigned.has(index) || (owners.has(index) && owners.get(index) !== name);
  let cursor = 0;
  return names.map((name, position) => {
    let index = indexOfPodCIDR(existing.get(name));
    if (index === undefined || assigned.has(index)) {
      index = position;
      while (index < maxHollowNodes && unavailable(index, name)) index = cursor++;
      if (index >= maxHollowNodes) throw new RangeError(`no free hollow node index left for ${name}: all ${maxHollowNodes} are taken`);
    }
    assigned.add(index);
    return index;
  });
}

/** Hands out the pod addresses of one node's range and takes them back when pods go. */
export class PodAddressPool {
  private readonly prefix: string;
  private readonly used = new Uint8Array(256);
  private next = 2;

  constructor(nodeIndex: number) {
    this.prefix = `10.${64 + (nodeIndex >> 8)}.${nodeIndex & 255}.`;
  }

  /** Returns a free address, or undefined when all 253 are taken. */
  allocate(): string | undefined {
    for (let tried = 0; tried < 253; tried++) {
      const host = this.next;
      this.next = this.next >= 254 ? 2 : this.next + 1;
      if (this.used[host]) continue;
      this.used[host] = 1;
      return this.prefix + host;
    }
    return undefined;
  }

  release(address: string): void {
    if (!address.startsWith(this.prefix)) return;
    this.used[Number(address.slice(this.prefix.length))] = 0;
  }
}
