// The network plugin interface and the pod network it returns.

export interface PodNetwork {
  ip: string;
  prefixLength: number;
  gateway: string;
  /** Host end of the pod's veth pair; its peer is `eth0` in the pod. */
  hostVeth: string;
}

/** A pod network that tkinit connects while it starts the holder, through rtnetlink. */
export interface PreparedNetwork {
  network: PodNetwork;
  bridgeName: string;
}

export interface NetworkPlugin {
  readonly name: string;
  /**
   * Allocates the pod's address, which tkinit configures as it starts the
   * holder. Plugins without this fast path connect the holder in setUp.
   */
  prepare?(sandboxId: string): Promise<PreparedNetwork>;
  /** Connects the network namespace of the holder PID to the node bridge. */
  setUp(sandboxId: string, holderPid: number): Promise<PodNetwork>;
  /** Disconnects a sandbox and releases its address; safe to call twice or after the holder died. */
  tearDown(sandboxId: string, holderPid: number | undefined, network: PodNetwork | undefined): Promise<void>;
  /** Removes the node-level pieces: the bridge and the NAT rule. */
  removeNodeNetwork(): Promise<void>;
}
