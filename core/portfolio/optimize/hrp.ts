/**
 * Hierarchical risk parity — López de Prado (2016), "Building diversified portfolios that
 * outperform out of sample", J. Portfolio Management 42(4):
 *
 * 1. Distance d_ij = √((1 − ρ_ij) / 2) from the correlations ρ of Σ.
 * 2. Single-linkage agglomerative clustering on d, computed like SciPy's `linkage(…, 'single')`
 *    (the minimum-spanning-tree algorithm of Müllner 2011, merges sorted by distance with a stable
 *    sort, labels by union-find with the smaller cluster id first), so orders match SciPy-based
 *    tools such as PyPortfolioOpt. (The paper's own code clusters the Euclidean distances between
 *    columns of d, a well-known quirk; PyPortfolioOpt and this module use d itself.)
 * 3. Quasi-diagonalisation: the leaves in the dendrogram's pre-order (left = smaller id first).
 * 4. Recursive bisection of that ordered list into halves; each half's variance is that of its
 *    inverse-variance portfolio, V = w'Σw with w_i ∝ 1/Σ_ii; the first half gets the share
 *    α = 1 − V₁/(V₁ + V₂) of its parent's weight, the second 1 − α.
 *
 * Bounds (min/max weight) are honoured inside step 4, in the spirit of Pfitzinger & Katzke (2019),
 * "A constrained hierarchical risk parity algorithm with cluster-based capital allocation": a
 * cluster that must hold total W gives its first half αW clipped to what both halves can hold,
 * [max(Σ₁ l, W − Σ₂ u), min(Σ₁ u, W − Σ₂ l)], so every leaf lands inside its bounds and the
 * weights still sum to 1. Without binding bounds the result is exactly López de Prado's.
 */

/** The dendrogram as SciPy's linkage matrix rows: [left id, right id, distance, size]. */
export type LinkageRow = [number, number, number, number];

/** Single-linkage clustering of n items from a distance function, SciPy's algorithm and labels. */
export function singleLinkage(n: number, distance: (i: number, j: number) => number): LinkageRow[] {
  const rows: { a: number; b: number; d: number; order: number }[] = [];
  const merged = new Uint8Array(n);
  const D = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  let x = 0;
  for (let k = 0; k < n - 1; k++) {
    let best = Number.POSITIVE_INFINITY;
    let y = -1;
    merged[x] = 1;
    for (let i = 0; i < n; i++) {
      if (merged[i]) continue;
      const dist = distance(x, i);
      if ((D[i] as number) > dist) D[i] = dist;
      if ((D[i] as number) < best || y < 0) {
        y = i;
        best = D[i] as number;
      }
    }
    rows.push({ a: x, b: y, d: best, order: k });
    x = y;
  }
  rows.sort((p, q) => p.d - q.d || p.order - q.order);
  // Union-find labelling: a merge creates cluster n + i.
  const parent = new Int32Array(2 * n - 1).map((_, i) => i);
  const size = new Int32Array(2 * n - 1).fill(1);
  const find = (v: number): number => {
    let r = v;
    while (parent[r] !== r) r = parent[r] as number;
    while (parent[v] !== r) {
      const next = parent[v] as number;
      parent[v] = r;
      v = next;
    }
    return r;
  };
  return rows.map((row, i): LinkageRow => {
    const ra = find(row.a);
    const rb = find(row.b);
    const id = n + i;
    parent[ra] = id;
    parent[rb] = id;
    size[id] = (size[ra] as number) + (size[rb] as number);
    return [Math.min(ra, rb), Math.max(ra, rb), row.d, size[id] as number];
  });
}

/** Leaves of the dendrogram in pre-order, left child first (López de Prado's getQuasiDiag). */
export function quasiDiagonalOrder(links: readonly LinkageRow[], n: number): number[] {
  if (n === 1) return [0];
  const out: number[] = [];
  const stack = [2 * n - 2];
  while (stack.length > 0) {
    const id = stack.pop() as number;
    if (id < n) {
      out.push(id);
      continue;
    }
    const [left, right] = links[id - n] as LinkageRow;
    stack.push(right, left);
  }
  return out;
}

/** Variance of the inverse-variance portfolio of `items`. */
function clusterVariance(cov: Float64Array, n: number, items: readonly number[]): number {
  let total = 0;
  for (const i of items) total += 1 / (cov[i * n + i] as number);
  let v = 0;
  for (const i of items) {
    const wi = 1 / (cov[i * n + i] as number) / total;
    for (const j of items)
      v += wi * (cov[i * n + j] as number) * (1 / (cov[j * n + j] as number) / total);
  }
  return v;
}

/** HRP weights over `members` (others 0) with bounds as in the file's doc comment. */
export function hrpWeights(
  cov: Float64Array,
  n: number,
  members: readonly number[],
  lower: Float64Array,
  upper: Float64Array,
): { weights: Float64Array; order: number[] } {
  const m = members.length;
  const inv = members.map((i) => 1 / Math.sqrt(cov[i * n + i] as number));
  // The tree and merge order depend only on the ordering of distances, so the clustering runs on
  // d² = (1 − ρ)/2 and takes square roots of the m − 1 merge heights only.
  const squared = (a: number, b: number): number => {
    const i = members[a] as number;
    const j = members[b] as number;
    const rho = (cov[i * n + j] as number) * (inv[a] as number) * (inv[b] as number);
    return Math.min(1, Math.max(0, (1 - rho) / 2));
  };
  const links = singleLinkage(m, squared).map(
    ([a, b, d2, size]): LinkageRow => [a, b, Math.sqrt(d2), size],
  );
  const order = quasiDiagonalOrder(links, m).map((a) => members[a] as number);
  const weights = new Float64Array(n);
  const sum = (items: readonly number[], bound: Float64Array): number =>
    items.reduce((s, i) => s + (bound[i] as number), 0);
  const allocate = (items: number[], total: number): void => {
    if (items.length === 1) {
      weights[items[0] as number] = total;
      return;
    }
    const half = items.length >> 1;
    const first = items.slice(0, half);
    const second = items.slice(half);
    const v1 = clusterVariance(cov, n, first);
    const v2 = clusterVariance(cov, n, second);
    const alpha = 1 - v1 / (v1 + v2);
    const least = Math.max(sum(first, lower), total - sum(second, upper));
    const most = Math.min(sum(first, upper), total - sum(second, lower));
    const share = Math.min(most, Math.max(least, alpha * total));
    allocate(first, share);
    allocate(second, total - share);
  };
  allocate(order, 1);
  return { weights, order };
}
