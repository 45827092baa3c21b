// Fake addresses for hollow nodes and their pods. Node i (0 ≤ i < 65,536)
// gets the InternalIP 127.1.(i >> 8).(i & 255), on loopback so that nothing
// routes to it off the machine, and the pod range 10.(64 + (i >> 8)).(i & 255).0/24,
// whose addresses .2 to .254 go to its pods.

export const maxHollowNodes = 65_536;

export function nodeAddress(index: number): string {
  return `127.1.${index >> 8}.${index & 255}`;
}

export function podCIDR(index: number): string {
  return `10.${64 + (index >> 8)}.${index & 255}.0/24`;
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
