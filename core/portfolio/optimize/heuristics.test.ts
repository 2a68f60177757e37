/** Equal weight, inverse volatility, risk parity and HRP: closed forms and independent references. */
import { describe, expect, it } from 'vitest';
import type { Estimate } from '../types.js';
import { optimizePortfolio } from './optimize.js';
import { factorEstimate } from './test-support.js';

const weights = (est: Estimate, w: Record<string, number>) =>
  est.symbols.map((s) => w[s] as number);

/** An estimate from volatilities and a correlation matrix (row-major). */
function fromCorrelation(symbols: string[], vols: number[], corr: number[]): Estimate {
  const n = symbols.length;
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++)
      cov[i * n + j] = (corr[i * n + j] as number) * (vols[i] as number) * (vols[j] as number);
  }
  return { symbols, mu: new Float64Array(n).fill(0.08), cov };
}

describe('equal_weight and inverse_volatility', () => {
  const est = factorEstimate(10, 2, 4);
  const vols = Array.from({ length: 10 }, (_, i) => Math.sqrt(est.cov[i * 10 + i] as number));

  it('are exactly 1/n and (1/σ_i)/Σ(1/σ)', () => {
    const eq = optimizePortfolio({ estimate: est, objective: 'equal_weight' });
    for (const w of weights(est, eq.weights)) expect(w).toBe(0.1);
    const iv = optimizePortfolio({ estimate: est, objective: 'inverse_volatility' });
    const total = vols.reduce((s, v) => s + 1 / v, 0);
    weights(est, iv.weights).forEach((w, i) => {
      expect(w).toBeCloseTo(1 / (vols[i] as number) / total, 15);
    });
  });

  it('keep proportions among the assets a bound does not touch (water-filling)', () => {
    // Asset 0 capped at 0.04: the other nine share 0.96 equally / in proportion to 1/σ.
    const maxWeight = { [est.symbols[0] as string]: 0.04 };
    const eq = weights(
      est,
      optimizePortfolio({ estimate: est, objective: 'equal_weight', constraints: { maxWeight } })
        .weights,
    );
    expect(eq[0]).toBe(0.04);
    for (const w of eq.slice(1)) expect(w).toBeCloseTo(0.96 / 9, 15);
    const low = vols.indexOf(Math.min(...vols));
    const cap = { [est.symbols[low] as string]: 0.05 };
    const iv = weights(
      est,
      optimizePortfolio({
        estimate: est,
        objective: 'inverse_volatility',
        constraints: { maxWeight: cap },
      }).weights,
    );
    expect(iv[low]).toBe(0.05);
    const rest = vols.reduce((s, v, i) => (i === low ? s : s + 1 / v), 0);
    iv.forEach((w, i) => {
      if (i !== low) expect(w).toBeCloseTo((0.95 * (1 / (vols[i] as number))) / rest, 15);
    });
  });
});

describe('risk_parity', () => {
  it('equals inverse volatility on a diagonal covariance, and for any two assets', () => {
    const diag = fromCorrelation(
      ['A', 'B', 'C', 'D'],
      [0.1, 0.2, 0.3, 0.4],
      [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    );
    const erc = optimizePortfolio({ estimate: diag, objective: 'risk_parity' });
    const iv = optimizePortfolio({ estimate: diag, objective: 'inverse_volatility' });
    for (const s of diag.symbols) expect(erc.weights[s]).toBeCloseTo(iv.weights[s] as number, 12);
    const two = fromCorrelation(['A', 'B'], [0.15, 0.35], [1, 0.6, 0.6, 1]);
    const erc2 = optimizePortfolio({ estimate: two, objective: 'risk_parity' });
    expect(erc2.weights.A).toBeCloseTo(0.35 / 0.5, 12);
  });

  it.each([40, 150])('gives every asset the same risk contribution to 1e-10 (n = %i)', (n) => {
    const est = factorEstimate(n, 5, n);
    const result = optimizePortfolio({ estimate: est, objective: 'risk_parity' });
    for (const rc of Object.values(result.riskContributions))
      expect(Math.abs(rc - 1 / n)).toBeLessThan(1e-10);
    expect(Object.values(result.weights).reduce((s, w) => s + w, 0)).toBeCloseTo(1, 14);
  });

  it('with a binding cap: the capped asset sits at its cap, the rest share equal contributions', () => {
    const est = factorEstimate(20, 3, 8);
    const free = optimizePortfolio({ estimate: est, objective: 'risk_parity' });
    const [top, topWeight] = Object.entries(free.weights).sort((a, b) => b[1] - a[1])[0] as [
      string,
      number,
    ];
    const cap = topWeight * 0.8;
    const result = optimizePortfolio({
      estimate: est,
      objective: 'risk_parity',
      constraints: { maxWeight: { [top]: cap } },
    });
    expect(result.weights[top]).toBeCloseTo(cap, 14);
    expect(Object.values(result.weights).reduce((s, w) => s + w, 0)).toBeCloseTo(1, 13);
    const others = est.symbols
      .filter((s) => s !== top)
      .map((s) => result.riskContributions[s] as number);
    const mean = others.reduce((s, v) => s + v, 0) / others.length;
    for (const rc of others) expect(Math.abs(rc - mean)).toBeLessThan(1e-10);
    expect(result.riskContributions[top]).toBeLessThan(mean);
    expect(result.notes.join('\n')).toMatch(/bounds bind/);
  });
});

/**
 * An independent HRP: naive agglomerative single linkage (merge the closest pair of clusters, O(n³),
 * new cluster n + k, left child the smaller id), leaves by recursive descent, and López de Prado's
 * breadth-first bisection with multiplicative weights, written as in the paper.
 */
function referenceHrp(cov: Float64Array, n: number): number[] {
  const dist = (i: number, j: number) => {
    const rho =
      (cov[i * n + j] as number) /
      Math.sqrt((cov[i * n + i] as number) * (cov[j * n + j] as number));
    return Math.sqrt(Math.max(0, (1 - rho) / 2));
  };
  let clusters = Array.from({ length: n }, (_, i) => ({ id: i, members: [i] }));
  const children = new Map<number, [number, number]>();
  for (let k = 0; k < n - 1; k++) {
    let best = { a: 0, b: 1, d: Number.POSITIVE_INFINITY };
    for (let a = 0; a < clusters.length; a++) {
      for (let b = a + 1; b < clusters.length; b++) {
        let d = Number.POSITIVE_INFINITY;
        for (const i of (clusters[a] as { members: number[] }).members) {
          for (const j of (clusters[b] as { members: number[] }).members)
            d = Math.min(d, dist(i, j));
        }
        if (d < best.d) best = { a, b, d };
      }
    }
    const A = clusters[best.a] as { id: number; members: number[] };
    const B = clusters[best.b] as { id: number; members: number[] };
    children.set(n + k, [Math.min(A.id, B.id), Math.max(A.id, B.id)]);
    clusters = clusters.filter((_, i) => i !== best.a && i !== best.b);
    clusters.push({ id: n + k, members: [...A.members, ...B.members] });
  }
  const leaves = (id: number): number[] => {
    const kids = children.get(id);
    return kids ? [...leaves(kids[0]), ...leaves(kids[1])] : [id];
  };
  const order = leaves(2 * n - 2);
  const ivpVariance = (items: number[]) => {
    const iv = items.map((i) => 1 / (cov[i * n + i] as number));
    const total = iv.reduce((s, v) => s + v, 0);
    let v = 0;
    items.forEach((i, a) => {
      items.forEach((j, b) => {
        v += ((iv[a] as number) / total) * (cov[i * n + j] as number) * ((iv[b] as number) / total);
      });
    });
    return v;
  };
  const w = new Array(n).fill(1);
  let items = [order];
  while (items.length > 0) {
    items = items.flatMap((c) =>
      c.length > 1 ? [c.slice(0, c.length >> 1), c.slice(c.length >> 1)] : [],
    );
    for (let i = 0; i < items.length; i += 2) {
      const c0 = items[i] as number[];
      const c1 = items[i + 1] as number[];
      const v0 = ivpVariance(c0);
      const v1 = ivpVariance(c1);
      const alpha = 1 - v0 / (v0 + v1);
      for (const a of c0) w[a] *= alpha;
      for (const b of c1) w[b] *= 1 - alpha;
    }
  }
  return w;
}

describe('hrp', () => {
  it('matches a hand-worked four-asset example', () => {
    // Pairs (A, B) with ρ = 0.9 and (C, D) with ρ = 0.8, 0.1 across; listed out of order.
    const vols = { A: 0.1, B: 0.2, C: 0.15, D: 0.25 };
    const symbols = ['C', 'A', 'D', 'B'] as const;
    const rho = (x: string, y: string) =>
      x === y ? 1 : x < 'C' === y < 'C' ? (x < 'C' ? 0.9 : 0.8) : 0.1;
    const est = fromCorrelation(
      [...symbols],
      symbols.map((s) => vols[s]),
      symbols.flatMap((x) => symbols.map((y) => rho(x, y))),
    );
    // Single linkage merges (A, B) at √0.05, then (C, D) at √0.1: order A, B, C, D.
    // Inverse-variance halves: (A, B) → (0.8, 0.2), V₁ = 0.8²·0.01 + 0.2²·0.04 + 2·0.8·0.2·0.9·0.1·0.2;
    // (C, D) → 1/0.0225 : 1/0.0625, V₂ likewise with ρ = 0.8.
    const v1 = 0.8 ** 2 * 0.01 + 0.2 ** 2 * 0.04 + 2 * 0.8 * 0.2 * 0.9 * 0.1 * 0.2;
    const c = 1 / 0.0225 / (1 / 0.0225 + 1 / 0.0625);
    const v2 = c ** 2 * 0.0225 + (1 - c) ** 2 * 0.0625 + 2 * c * (1 - c) * 0.8 * 0.15 * 0.25;
    const alpha = 1 - v1 / (v1 + v2);
    const expected = {
      A: alpha * (0.04 / 0.05),
      B: alpha * (0.01 / 0.05),
      C: (1 - alpha) * (0.0625 / (0.0225 + 0.0625)),
      D: (1 - alpha) * (0.0225 / (0.0225 + 0.0625)),
    };
    const result = optimizePortfolio({ estimate: est, objective: 'hrp' });
    for (const s of symbols) expect(result.weights[s]).toBeCloseTo(expected[s], 15);
  });

  it.each([12, 60])('matches an independent implementation on %i random assets', (n) => {
    const est = factorEstimate(n, 3, 100 + n);
    const result = optimizePortfolio({ estimate: est, objective: 'hrp' });
    const reference = referenceHrp(est.cov, n);
    est.symbols.forEach((s, i) => {
      expect(result.weights[s]).toBeCloseTo(reference[i] as number, 14);
    });
  });

  it('keeps every weight inside its bounds, and changes nothing when they do not bind', () => {
    const est = factorEstimate(30, 3, 77);
    const free = optimizePortfolio({ estimate: est, objective: 'hrp' });
    const loose = optimizePortfolio({
      estimate: est,
      objective: 'hrp',
      constraints: { maxWeight: 0.9, minWeight: -0.1 },
    });
    expect(loose.weights).toEqual(free.weights);
    const top = Math.max(...Object.values(free.weights));
    const capped = optimizePortfolio({
      estimate: est,
      objective: 'hrp',
      constraints: { maxWeight: top * 0.7, minWeight: 0.01 },
    });
    for (const w of Object.values(capped.weights)) {
      expect(w).toBeLessThanOrEqual(top * 0.7 + 1e-15);
      expect(w).toBeGreaterThanOrEqual(0.01 - 1e-15);
    }
    expect(Object.values(capped.weights).reduce((s, w) => s + w, 0)).toBeCloseTo(1, 14);
  });
});

describe('heuristics with general constraints', () => {
  it('are projected onto sector caps, with a note', () => {
    const est = factorEstimate(12, 2, 5);
    const sectors = Object.fromEntries(est.symbols.map((s, i) => [s, i < 6 ? 'Big' : 'Small']));
    const result = optimizePortfolio({
      estimate: est,
      objective: 'equal_weight',
      constraints: { sectors, sectorCaps: { Big: 0.3 } },
    });
    // The closest point to 1/12 each with the Big six summing to 0.3: 0.05 each, Small 0.7/6 each.
    est.symbols.forEach((s, i) => {
      expect(result.weights[s]).toBeCloseTo(i < 6 ? 0.05 : 0.7 / 6, 14);
    });
    expect(result.notes.join('\n')).toMatch(/replaced by the closest portfolio/);
  });
});
