// The kubelet's conversions from Kubernetes cpu quantities to cgroup values
// (pkg/kubelet/cm/helpers_linux.go) and runc's shares-to-weight mapping for
// cgroup v2 (libcontainer/cgroups ConvertCPUSharesToCgroupV2Value).

export const cpuPeriodMicros = 100_000;
const minShares = 2;
const maxShares = 262_144;
const sharesPerCpu = 1024;
const minQuotaMicros = 1000;

/** cpu.shares for a cpu request: 250m → 256, 1 → 1024; no request gives the minimum, 2. */
export function milliCpuToShares(milliCpu: number | undefined): number {
  if (!milliCpu) return minShares;
  const shares = Math.floor((milliCpu * sharesPerCpu) / 1000);
  return Math.min(Math.max(shares, minShares), maxShares);
}

/** cfs quota in microseconds per 100 ms period: 500m → 50000, 2 → 200000; at least 1000 µs. */
export function milliCpuToQuota(milliCpu: number): number {
  const quota = Math.floor((milliCpu * cpuPeriodMicros) / 1000);
  return Math.max(quota, minQuotaMicros);
}

/**
 * cgroup v2 cpu.weight (1…10000) for cpu.shares (2…262144), mapping the
 * ranges linearly: 2 → 1, 1024 → 39, 262144 → 10000.
 */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262_142);
}
