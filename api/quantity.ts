// Resource quantities in the Kubernetes grammar:
//   <quantity> ::= <signedNumber><suffix>
//   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei | n | u | m | "" | k | M | G | T | P | E | e<signedInt> | E<signedInt>
// Values are returned as JavaScript numbers in base units (cores, bytes),
// which is exact for every quantity a node or a pod spec realistically holds.

const binarySuffixes: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

// Decimal exponents; negative ones divide, which keeps `100n` exactly 1e-7.
const decimalExponents: Record<string, number> = {
  n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18,
};

const quantityPattern = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

export class QuantityError extends Error {
  constructor(readonly value: string) {
    super(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    this.name = 'QuantityError';
  }
}

export function isValidQuantity(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && quantityPattern.test(value);
}

/** Parses a quantity into base units; throws QuantityError on bad syntax. */
export function parseQuantity(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new QuantityError(String(value));
    return value;
  }
  const match = quantityPattern.exec(value);
  if (!match) throw new QuantityError(value);
  const [, number, suffix = ''] = match;
  const base = Number(number);
  if (suffix in binarySuffixes) return base * binarySuffixes[suffix];
  const exponent = suffix in decimalExponents ? decimalExponents[suffix] : Number(suffix.slice(1));
  return exponent < 0 ? base / 10 ** -exponent : base * 10 ** exponent;
}

/** Returns a cpu quantity in millicores, rounded up as Kubernetes' MilliValue does. */
export function parseMillicores(value: string | number): number {
  return Math.ceil(Math.round(parseQuantity(value) * 1e9) / 1e6);
}

/** Returns a memory or storage quantity in whole bytes, rounded up. */
export function parseBytes(value: string | number): number {
  return Math.ceil(parseQuantity(value));
}

/** Formats bytes with the largest binary suffix that divides them, as `128Mi`. */
export function formatBytes(bytes: number): string {
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    const unit = binarySuffixes[suffix];
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** Formats millicores as Kubernetes prints cpu: `2` for whole cores, `500m` otherwise. */
export function formatMillicores(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}
