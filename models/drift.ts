/**
 * Drift of a model's inputs: per feature, the population stability index (PSI, over the training
 * distribution's deciles) and the two-sample Kolmogorov–Smirnov statistic with its asymptotic
 * p-value, between the rows it was trained on and newer rows. A feature is flagged when its PSI
 * exceeds the threshold (0.2 by default, the usual "significant shift").
 */

export const PSI_THRESHOLD = 0.2;

export interface FeatureDrift {
  feature: string;
  psi: number;
  ks: number;
  ks_p_value: number;
  flagged: boolean;
}

const sorted = (values: ArrayLike<number>) => Float64Array.from(values).sort();

/** PSI of `actual` against `expected`, bins at `expected`'s deciles (ε = 1e-4 for empty bins). */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>, bins = 10): number {
  const base = sorted(expected);
  if (base.length === 0 || actual.length === 0) return Number.NaN;
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) edges.push(base[Math.floor((b * base.length) / bins)] as number);
  const share = (values: ArrayLike<number>) => {
    const counts = new Float64Array(bins);
    for (let k = 0; k < values.length; k++) {
      const v = values[k] as number;
      let bin = 0;
      while (bin < edges.length && v > (edges[bin] as number)) bin++;
      counts[bin] = (counts[bin] as number) + 1;
    }
    return counts.map((count) => Math.max(count / values.length, 1e-4));
  };
  const e = share(base);
  const a = share(actual);
  let total = 0;
  for (let b = 0; b < bins; b++)
    total += ((a[b] as number) - (e[b] as number)) * Math.log((a[b] as number) / (e[b] as number));
  return total;
}

/** The two-sample KS statistic and its asymptotic p-value. */
export function kolmogorovSmirnov(
  first: ArrayLike<number>,
  second: ArrayLike<number>,
): { d: number; p: number } {
  const a = sorted(first);
  const b = sorted(second);
  if (a.length === 0 || b.length === 0) return { d: Number.NaN, p: Number.NaN };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const value = Math.min(a[i] as number, b[j] as number);
    while (i < a.length && (a[i] as number) <= value) i++;
    while (j < b.length && (b[j] as number) <= value) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  const n = (a.length * b.length) / (a.length + b.length);
  const lambda = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * d;
  let p = 0;
  for (let k = 1; k <= 100; k++) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
  return { d, p: Math.min(Math.max(p, 0), 1) };
}

/** Per-feature drift between `trained` and `recent` rows (each a Float32Array of features in `names` order). */
export function featureDrift(
  names: readonly string[],
  trained: readonly Float32Array[],
  recent: readonly Float32Array[],
  threshold = PSI_THRESHOLD,
): FeatureDrift[] {
  return names.map((feature, k) => {
    const before = trained.map((row) => row[k] as number);
    const after = recent.map((row) => row[k] as number);
    const value = psi(before, after);
    const ks = kolmogorovSmirnov(before, after);
    return {
      feature,
      psi: Number(value.toFixed(4)),
      ks: Number(ks.d.toFixed(4)),
      ks_p_value: Number(ks.p.toPrecision(3)),
      flagged: value > threshold,
    };
  });
}
