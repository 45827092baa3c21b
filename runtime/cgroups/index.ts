// Picks the cgroup driver for this host: pure v2 when /sys/fs/cgroup is the
// unified hierarchy, v1 otherwise (hybrid hosts included, whose v2 mount at
// /sys/fs/cgroup/unified carries no controllers to limit with).

import { existsSync } from 'node:fs';

import type { QOSClass } from '../cri.js';
import { CgroupV1 } from './v1.js';
import { CgroupV2 } from './v2.js';
import type { CgroupDriver } from './types.js';

export type { CgroupDriver, CgroupLimits, CgroupValues } from './types.js';

export function detectCgroupDriver(): CgroupDriver {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return new CgroupV2('/sys/fs/cgroup');
  return new CgroupV1();
}

/** `<root>/<qos>/pod<uid>`, the pod level of the hierarchy. */
export function podCgroupPath(root: string, qosClass: QOSClass, podUid: string): string {
  return `${root}/${qosClass.toLowerCase()}/pod${podUid}`;
}
