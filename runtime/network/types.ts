// The network plugin interface and the pod network it returns.

export interface PodNetwork {
  ip: string;
  prefixLength: number;
  gateway: string;
  /** Host end of the pod's veth pair; its peer is `eth0` in the pod. */
  hostVeth: string;
}

/**
 * A pod network that tkinit connects as it starts the holder, which saves
 * the kubelet process spawns: `veth` through tkinit's own rtnetlink calls,
 * `cni` by running one CNI plugin's ADD from the node's namespaces.
 */
export type PreparedNetwork =
  | { kind: 'veth'; network: PodNetwork; bridgeName: string }
  | {
    kind: 'cni';
    /** Path of the plugin executable, and CNI_PATH for the plugins it delegates to. */
    plugin: string;
    binDir: string;
    /** Network configuration written to the plugin's stdin. */
    config: string;
    /** Reads the pod network from the plugin's ADD result. */
    finish(result: string): Promise<PodNetwork>;
  };

export interface NetworkPlugin {
  readonly name: string;
  /**
   * Allocates or describes the pod's network, which tkinit connects as it
   * starts the holder. Plugins without this fast path connect the holder in setUp.
   */
  prepare?(sandboxId: string): Promise<PreparedNetwork>;
  /** Connects the network namespace of the holder PID to the node bridge. */
  setUp(sandboxId: string, holderPid: number): Promise<PodNetwork>;
  /** Disconnects a sandbox and releases its address; safe to call twice or after the holder died. */
  tearDown(sandboxId: string, holderPid: number | undefined, network: PodNetwork | undefined): Promise<void>;
  /** Removes the node-level pieces: the bridge and the NAT rule. */
  removeNodeNetwork(): Promise<void>;
}
