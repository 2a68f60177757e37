/**
 * Gradient-boosted regression trees, trained here in TypeScript (squared error): each tree is
 * fitted to the residuals on features binned once into quantile bins (a histogram per node, so a
 * split search costs bins × features, not rows × features), depth-limited, with a minimum number
 * of rows per leaf; its leaves are shrunk by the learning rate. Deterministic: no sampling.
 */
import type { TreeEnsemble, TreeNode } from './tree-ensemble.js';

export interface BoostingOptions {
  trees?: number;
  depth?: number;
  learningRate?: number;
  minLeaf?: number;
  bins?: number;
}

export const BOOSTING_DEFAULTS = { trees: 100, depth: 3, learningRate: 0.1, minLeaf: 20, bins: 32 };

/** Bin edges of one feature: up to `bins - 1` distinct quantile cut points. */
function cutPoints(values: Float32Array, bins: number): Float32Array {
  const sorted = Float32Array.from(values).sort();
  const cuts: number[] = [];
  for (let b = 1; b < bins; b++) {
    const cut = sorted[
      Math.min(sorted.length - 1, Math.floor((b * sorted.length) / bins))
    ] as number;
    if (cuts.length === 0 || cut > (cuts[cuts.length - 1] as number)) cuts.push(cut);
  }
  return Float32Array.from(cuts);
}

/**
 * Trains on `rows` rows of `features` values each (row-major `x`) against `y`. RangeError names
 * a bad size or option.
 */
export function trainBoosting(
  x: Float32Array,
  y: Float64Array,
  features: number,
  options: BoostingOptions = {},
): TreeEnsemble {
  const o = { ...BOOSTING_DEFAULTS, ...options };
  const rows = y.length;
  if (rows === 0 || x.length !== rows * features)
    throw new RangeError(
      `x has ${x.length} values; ${rows} rows × ${features} features need ${rows * features}`,
    );
  for (const [name, value, min, max] of [
    ['trees', o.trees, 1, 5000],
    ['depth', o.depth, 1, 10],
    ['minLeaf', o.minLeaf, 1, 1e9],
    ['bins', o.bins, 2, 255],
  ] as const)
    if (!Number.isInteger(value) || value < min || value > max)
      throw new RangeError(`${name} must be an integer from ${min} to ${max}; got ${value}`);
  if (!(o.learningRate > 0 && o.learningRate <= 1))
    throw new RangeError(`learningRate must be in (0, 1]; got ${o.learningRate}`);

  // Bin every feature once.
  const cuts: Float32Array[] = [];
  const binned = new Uint8Array(rows * features);
  const column = new Float32Array(rows);
  for (let f = 0; f < features; f++) {
    for (let r = 0; r < rows; r++) column[r] = x[r * features + f] as number;
    const edges = cutPoints(column, o.bins);
    cuts.push(edges);
    for (let r = 0; r < rows; r++) {
      const v = column[r] as number;
      let lo = 0;
      let hi = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= (edges[mid] as number)) hi = mid;
        else lo = mid + 1;
      }
      binned[r * features + f] = lo;
    }
  }

  let base = 0;
  for (let r = 0; r < rows; r++) base += y[r] as number;
  base /= rows;
  const prediction = new Float64Array(rows).fill(base);
  const residual = new Float64Array(rows);
  const trees: TreeNode[][] = [];
  const sums = new Float64Array(256);
  const counts = new Int32Array(256);

  for (let t = 0; t < o.trees; t++) {
    for (let r = 0; r < rows; r++) residual[r] = (y[r] as number) - (prediction[r] as number);
    const nodes: TreeNode[] = [];
    const grow = (members: Int32Array, depth: number): number => {
      let total = 0;
      for (const r of members) total += residual[r] as number;
      const at = nodes.length;
      nodes.push({
        feature: -1,
        threshold: 0,
        left: -1,
        right: -1,
        value: (total / members.length) * o.learningRate,
      });
      if (depth >= o.depth || members.length < 2 * o.minLeaf) return at;
      let best = { gain: 1e-12, feature: -1, bin: -1 };
      const parentScore = (total * total) / members.length;
      for (let f = 0; f < features; f++) {
        const edges = cuts[f] as Float32Array;
        if (edges.length === 0) continue;
        sums.fill(0, 0, edges.length + 1);
        counts.fill(0, 0, edges.length + 1);
        for (const r of members) {
          const b = binned[r * features + f] as number;
          sums[b] = (sums[b] as number) + (residual[r] as number);
          counts[b] = (counts[b] as number) + 1;
        }
        let leftSum = 0;
        let leftCount = 0;
        for (let b = 0; b < edges.length; b++) {
          leftSum += sums[b] as number;
          leftCount += counts[b] as number;
          const rightCount = members.length - leftCount;
          if (leftCount < o.minLeaf || rightCount < o.minLeaf) continue;
          const rightSum = total - leftSum;
          const gain =
            (leftSum * leftSum) / leftCount + (rightSum * rightSum) / rightCount - parentScore;
          if (gain > best.gain) best = { gain, feature: f, bin: b };
        }
      }
      if (best.feature < 0) return at;
      const leftRows: number[] = [];
      const rightRows: number[] = [];
      for (const r of members)
        (binned[r * features + best.feature] as number) <= best.bin
          ? leftRows.push(r)
          : rightRows.push(r);
      const node = nodes[at] as TreeNode;
      node.feature = best.feature;
      node.threshold = (cuts[best.feature] as Float32Array)[best.bin] as number;
      // An internal node keeps its rows' mean (shrunk): per-feature contributions walk from it.
      node.left = grow(Int32Array.from(leftRows), depth + 1);
      node.right = grow(Int32Array.from(rightRows), depth + 1);
      return at;
    };
    grow(
      Int32Array.from({ length: rows }, (_, r) => r),
      0,
    );
    // Update the predictions the way scoring walks the tree (feature ≤ threshold goes left).
    for (let r = 0; r < rows; r++) {
      let node = nodes[0] as TreeNode;
      while (node.feature >= 0)
        node = nodes[
          (x[r * features + node.feature] as number) <= node.threshold ? node.left : node.right
        ] as TreeNode;
      prediction[r] = (prediction[r] as number) + node.value;
    }
    trees.push(nodes);
  }
  return { features, base, trees };
}
