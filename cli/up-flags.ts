// Validation of `tinykube up`'s flags, all of it before anything starts, so
// that a typo never leaves a half-started cluster or a half-built image.

import { isIP } from 'node:net';
import { UsageError } from '../api/flags.js';
import { parseCidr } from '../runtime/network/ipam.js';

/** Linux's IFNAMSIZ is 16 bytes, one of them the terminating NUL. */
const maxInterfaceNameLength = 15;

export function parsePort(name: string, value: string): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`invalid --${name} "${value}": expected a port from 0 to 65535`);
  }
  return port;
}

export function parsePositiveInteger(name: string, value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number) || number <= 0) {
    throw new UsageError(`invalid --${name} "${value}": expected a positive integer`);
  }
  return number;
}

/** Checks a pod CIDR against what the runtime's address allocator accepts (an IPv4 prefix of 8 to 30 bits). */
export function validatePodCIDR(value: string): string {
  try {
    parseCidr(value);
  } catch (error) {
    throw new UsageError(`invalid --pod-cidr "${value}": ${(error as Error).message}`);
  }
  return value;
}

/**
 * Checks a bridge name. The kernel (dev_valid_name in net/core/dev.c) rejects
 * names of 16 bytes or more, "." and "..", and names with "/", ":" or
 * whitespace. This check is stricter, allowing only letters, digits, "-", "_"
 * and "." after a letter or digit, because the name also goes into iptables
 * rules and CNI config.
 */
export function validateBridgeName(value: string): string {
  if (value.length > maxInterfaceNameLength) {
    throw new UsageError(`invalid --bridge "${value}": a network interface name has at most ${maxInterfaceNameLength} characters (Linux IFNAMSIZ), not ${value.length}`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value)) {
    throw new UsageError(`invalid --bridge "${value}": expected letters, digits, "-", "_" or ".", starting with a letter or digit`);
  }
  return value;
}

/** Checks a cgroup root: one or more path segments under the cgroup mount, none of them empty, "." or "..". */
export function validateCgroupRoot(value: string): string {
  const segments = value.split('/');
  if (segments.some((segment) => !/^[A-Za-z0-9_.-]+$/.test(segment) || segment === '.' || segment === '..')) {
    throw new UsageError(`invalid --cgroup-root "${value}": expected a relative cgroup path such as tinykube, made of letters, digits, "-", "_" and "."`);
  }
  return value;
}

/** Checks a listen address: an IPv4 or IPv6 address, or "localhost". */
export function validateBindAddress(value: string): string {
  if (value !== 'localhost' && isIP(value) === 0) {
    throw new UsageError(`invalid --bind-address "${value}": expected an IP address such as 127.0.0.1`);
  }
  return value;
}

/** Checks a node name the way Kubernetes checks node names: a lowercase RFC 1123 subdomain of at most 253 characters. */
export function validateNodeName(value: string): string {
  const label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
  if (value.length > 253 || !new RegExp(`^${label}(\\.${label})*$`).test(value)) {
    throw new UsageError(`invalid --node-name "${value}": expected a lowercase RFC 1123 subdomain such as node-1 (the default is this host's name)`);
  }
  return value;
}
