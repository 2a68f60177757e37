/**
 * A regression tree ensemble (what the gradient-boosting trainer makes and the ONNX exporter
 * writes as ai.onnx.ml TreeEnsembleRegressor): score = base + Σ over trees of the leaf each row
 * reaches, a node sending a row left when feature ≤ threshold. Features and thresholds are
 * compared as 32-bit floats, as onnxruntime compares them, so the two give the same scores.
 */

export interface TreeNode {
  /** Internal node: the feature index tested and its threshold; a leaf has feature -1. */
  feature: number;
  threshold: number;
  /** Node indexes in the same tree (internal nodes only). */
  left: number;
  right: number;
  /**
   * A leaf's contribution (learning rate applied). An internal node: what a leaf there would have
   * given (its training rows' mean, shrunk), from which per-feature contributions are measured;
   * scoring never reads it.
   */
  value: number;
}

export interface TreeEnsemble {
  /** How many features a row has. */
  features: number;
  base: number;
  /** Each tree's nodes, its root first. */
  trees: TreeNode[][];
}

/** The score of one row (row[k] is feature k). */
export function scoreRow(model: TreeEnsemble, row: ArrayLike<number>): number {
  let score = Math.fround(model.base);
  for (const tree of model.trees) {
    let node = tree[0] as TreeNode;
    while (node.feature >= 0) {
      const x = Math.fround(row[node.feature] as number);
      node = tree[x <= Math.fround(node.threshold) ? node.left : node.right] as TreeNode;
    }
    score = Math.fround(score + Math.fround(node.value));
  }
  return score;
}

/** Scores of `rows` rows laid out row after row in `data` (rows × model.features). */
export function scoreRows(model: TreeEnsemble, data: Float32Array): Float32Array {
  const rows = data.length / model.features;
  if (!Number.isInteger(rows))
    throw new RangeError(
      `${data.length} values are not a whole number of rows of ${model.features} features`,
    );
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++)
    out[r] = scoreRow(model, data.subarray(r * model.features, (r + 1) * model.features));
  return out;
}

/**
 * Per-feature contributions of one row (Saabas): along the path the row takes through each tree,
 * each split adds the change in node value to the feature it tested. `bias` (the base plus every
 * tree's root value) plus the contributions is the row's score.
 */
export function contributions(
  model: TreeEnsemble,
  row: ArrayLike<number>,
): { bias: number; byFeature: Float64Array } {
  const byFeature = new Float64Array(model.features);
  let bias = model.base;
  for (const tree of model.trees) {
    let node = tree[0] as TreeNode;
    bias += node.value;
    while (node.feature >= 0) {
      const x = Math.fround(row[node.feature] as number);
      const next = tree[x <= Math.fround(node.threshold) ? node.left : node.right] as TreeNode;
      byFeature[node.feature] = (byFeature[node.feature] as number) + next.value - node.value;
      node = next;
    }
  }
  return { bias, byFeature };
}
