// The state this process keeps for each hollow node.

import type { NodeLease } from '../lease.js';
import type { PodAddressPool } from './addresses.js';

export interface HollowNodeState {
  name: string;
  index: number;
  uid: string | undefined;
  lease: NodeLease;
  addresses: PodAddressPool;
  /** Whether a Lease renewal is in flight, so that a slow one is not doubled. */
  renewing: boolean;
  /** When the node registered, the lastTransitionTime of its conditions. */
  registeredAt: string;
  /** Whether a status report is in flight. */
  reportingStatus: boolean;
}
