/**
 * A tree ensemble as an ONNX model (onnx-proto): one ai.onnx.ml TreeEnsembleRegressor node,
 * input X float [N, features], output Y float [N, 1]; BRANCH_LEQ nodes (feature ≤ threshold goes
 * to the true branch, as scoreRow does), leaf values as target weights, the base as base_values,
 * aggregate SUM. onnxruntime serves it (models/runtime.ts). The ensemble itself, with its
 * internal node values, rides along as the metadata entry `countersign.ensemble` (JSON), so the
 * one hashed file also gives per-feature contributions (ensembleFromOnnx).
 */
import onnxProto from 'onnx-proto';
import type { TreeEnsemble } from './tree-ensemble.js';

// onnx-proto is CommonJS: its namespace is on the default export.
const { onnx } = onnxProto;

const { AttributeType } = onnx.AttributeProto;
const text = (value: string) => new TextEncoder().encode(value);

const ints = (name: string, values: number[]) =>
  onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: values });
const floats = (name: string, values: number[]) =>
  onnx.AttributeProto.create({ name, type: AttributeType.FLOATS, floats: values });
const strings = (name: string, values: string[]) =>
  onnx.AttributeProto.create({ name, type: AttributeType.STRINGS, strings: values.map(text) });

function tensorType(dims: (number | string)[]) {
  return onnx.TypeProto.create({
    tensorType: onnx.TypeProto.Tensor.create({
      elemType: onnx.TensorProto.DataType.FLOAT,
      shape: onnx.TensorShapeProto.create({
        dim: dims.map((d) =>
          typeof d === 'number'
            ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
            : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
        ),
      }),
    }),
  });
}

/** The ONNX bytes of `model`; `docString` is kept in the file (version, training window…). */
export function treeEnsembleToOnnx(model: TreeEnsemble, docString = ''): Uint8Array {
  const n = {
    tree: [] as number[],
    node: [] as number[],
    feature: [] as number[],
    value: [] as number[],
  };
  const modes: string[] = [];
  const yes: number[] = [];
  const no: number[] = [];
  const target = {
    tree: [] as number[],
    node: [] as number[],
    id: [] as number[],
    weight: [] as number[],
  };
  model.trees.forEach((tree, t) => {
    tree.forEach((node, k) => {
      n.tree.push(t);
      n.node.push(k);
      const leaf = node.feature < 0;
      n.feature.push(leaf ? 0 : node.feature);
      n.value.push(leaf ? 0 : node.threshold);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      yes.push(leaf ? 0 : node.left);
      no.push(leaf ? 0 : node.right);
      if (leaf) {
        target.tree.push(t);
        target.node.push(k);
        target.id.push(0);
        target.weight.push(node.value);
      }
    });
  });
  const regressor = onnx.NodeProto.create({
    opType: 'TreeEnsembleRegressor',
    domain: 'ai.onnx.ml',
    input: ['X'],
    output: ['Y'],
    name: 'trees',
    attribute: [
      ints('nodes_treeids', n.tree),
      ints('nodes_nodeids', n.node),
      ints('nodes_featureids', n.feature),
      floats('nodes_values', n.value),
      strings('nodes_modes', modes),
      ints('nodes_truenodeids', yes),
      ints('nodes_falsenodeids', no),
      ints('target_treeids', target.tree),
      ints('target_nodeids', target.node),
      ints('target_ids', target.id),
      floats('target_weights', target.weight),
      floats('base_values', [model.base]),
      onnx.AttributeProto.create({ name: 'n_targets', type: AttributeType.INT, i: 1 }),
      onnx.AttributeProto.create({
        name: 'aggregate_function',
        type: AttributeType.STRING,
        s: text('SUM'),
      }),
      onnx.AttributeProto.create({
        name: 'post_transform',
        type: AttributeType.STRING,
        s: text('NONE'),
      }),
    ],
  });
  const graph = onnx.GraphProto.create({
    name: 'countersign_trees',
    node: [regressor],
    input: [onnx.ValueInfoProto.create({ name: 'X', type: tensorType(['N', model.features]) })],
    output: [onnx.ValueInfoProto.create({ name: 'Y', type: tensorType(['N', 1]) })],
  });
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'countersign',
    producerVersion: '1',
    docString,
    opsetImport: [
      onnx.OperatorSetIdProto.create({ domain: '', version: 17 }),
      onnx.OperatorSetIdProto.create({ domain: 'ai.onnx.ml', version: 3 }),
    ],
    graph,
    metadataProps: [
      onnx.StringStringEntryProto.create({ key: ENSEMBLE_KEY, value: JSON.stringify(model) }),
    ],
  });
  return onnx.ModelProto.encode(proto).finish();
}

const ENSEMBLE_KEY = 'countersign.ensemble';

/**
 * The tree ensemble a file written by treeEnsembleToOnnx carries, or undefined for any other
 * ONNX model (a user's own: it scores, without per-feature contributions). Throws on bytes that
 * are not an ONNX model at all.
 */
export function ensembleFromOnnx(bytes: Uint8Array): TreeEnsemble | undefined {
  const proto = onnx.ModelProto.decode(bytes);
  const entry = proto.metadataProps.find((one) => one.key === ENSEMBLE_KEY);
  if (!entry?.value) return undefined;
  const parsed = JSON.parse(entry.value) as TreeEnsemble;
  if (!Number.isInteger(parsed.features) || !Array.isArray(parsed.trees)) return undefined;
  return parsed;
}
