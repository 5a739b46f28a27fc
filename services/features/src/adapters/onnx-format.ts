/**
 * Writing ONNX files without Python: the part of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto, IR version 7)
 * that a small inference graph needs, loaded with protobufjs, and a builder for plain graphs of standard operators.
 * Field numbers are onnx.proto's; ONNX Runtime reads the result like any exported model.
 */
import protobuf from 'protobufjs';

const ONNX_SUBSET = `
syntax = "proto2";
package onnx;
message AttributeProto {
  optional string name = 1; optional float f = 2; optional int64 i = 3; optional bytes s = 4;
  repeated float floats = 7; repeated int64 ints = 8; optional int32 type = 20;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  repeated AttributeProto attribute = 5; optional string doc_string = 6; optional string domain = 7;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message ModelProto {
  optional int64 ir_version = 1; optional string producer_name = 2; optional string producer_version = 3;
  optional string domain = 4; optional int64 model_version = 5; optional string doc_string = 6;
  optional GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  optional string doc_string = 10; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1; optional int32 data_type = 2; repeated float float_data = 4 [packed = true];
  repeated int64 int64_data = 7 [packed = true]; optional string name = 8;
}
message TensorShapeProto {
  message Dimension { optional int64 dim_value = 1; optional string dim_param = 2; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  optional Tensor tensor_type = 1;
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
`;

const root = protobuf.parse(ONNX_SUBSET, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly floats?: readonly number[];
  readonly int64s?: readonly number[];
}

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: readonly { name: string; i?: number; f?: number; ints?: readonly number[] }[];
}

export interface OnnxGraph {
  readonly name: string;
  /** Float inputs and outputs; a dimension given as a string is symbolic (the batch size, "N"). */
  readonly inputs: readonly { name: string; dims: readonly (number | string)[] }[];
  readonly outputs: readonly { name: string; dims: readonly (number | string)[] }[];
  readonly initializers: readonly OnnxTensor[];
  readonly nodes: readonly OnnxNode[];
  readonly opset?: number;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

const valueInfo = (v: { name: string; dims: readonly (number | string)[] }): object => ({
  name: v.name,
  type: {
    tensor_type: {
      elem_type: ONNX_FLOAT,
      shape: { dim: v.dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) },
    },
  },
});

const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

/** The graph as ONNX model bytes. */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const message = ModelProto.fromObject({
    ir_version: 7,
    producer_name: 'telltale',
    producer_version: '0.1.0',
    model_version: 1,
    doc_string: graph.docString ?? '',
    opset_import: [{ domain: '', version: graph.opset ?? 13 }],
    metadata_props: Object.entries(graph.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: graph.initializers.map((t) => ({
        name: t.name,
        dims: [...t.dims],
        data_type: t.int64s === undefined ? ONNX_FLOAT : ONNX_INT64,
        ...(t.int64s === undefined ? { float_data: [...(t.floats ?? [])] } : { int64_data: [...t.int64s] }),
      })),
      node: graph.nodes.map((n, i) => ({
        name: `${n.op.toLowerCase()}_${i}`,
        op_type: n.op,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: (n.attributes ?? []).map((a) =>
          a.ints !== undefined
            ? { name: a.name, type: ATTRIBUTE_INTS, ints: [...a.ints] }
            : a.f !== undefined
              ? { name: a.name, type: ATTRIBUTE_FLOAT, f: a.f }
              : { name: a.name, type: ATTRIBUTE_INT, i: a.i ?? 0 },
        ),
      })),
    },
  });
  return ModelProto.encode(message).finish();
}

/**
 * Standardised logistic regression: p = sigmoid(((x − mean) / scale) · w + b), input "features" [N, F], output
 * "probability" [N, 1].
 */
export function logisticRegressionOnnx(model: {
  readonly means: readonly number[];
  readonly scales: readonly number[];
  readonly weights: readonly number[];
  readonly bias: number;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}): Uint8Array {
  const f = model.weights.length;
  return encodeOnnxModel({
    name: 'logistic_regression',
    inputs: [{ name: 'features', dims: ['N', f] }],
    outputs: [{ name: 'probability', dims: ['N', 1] }],
    initializers: [
      { name: 'mean', dims: [f], floats: model.means },
      { name: 'scale', dims: [f], floats: model.scales },
      { name: 'weights', dims: [f, 1], floats: model.weights },
      { name: 'bias', dims: [1], floats: [model.bias] },
    ],
    nodes: [
      { op: 'Sub', inputs: ['features', 'mean'], outputs: ['centred'] },
      { op: 'Div', inputs: ['centred', 'scale'], outputs: ['standardised'] },
      { op: 'MatMul', inputs: ['standardised', 'weights'], outputs: ['product'] },
      { op: 'Add', inputs: ['product', 'bias'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['probability'] },
    ],
    ...(model.docString === undefined ? {} : { docString: model.docString }),
    ...(model.metadata === undefined ? {} : { metadata: model.metadata }),
  });
}

/**
 * Several logistic regressions over the same standardised inputs (one per fault kind), combined as a noisy-OR:
 * probability = 1 − Π_k (1 − sigmoid(x·w_k + b_k)), shape [N, 1] — the model `telltale model train` writes.
 */
export function logisticMixtureOnnx(model: {
  readonly means: readonly number[];
  readonly scales: readonly number[];
  readonly components: readonly { readonly weights: readonly number[]; readonly bias: number }[];
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}): Uint8Array {
  const f = model.means.length;
  const k = model.components.length;
  if (k === 0 || model.components.some((c) => c.weights.length !== f))
    throw new Error(`a mixture needs components with ${f} weights each`);
  // Row-major [f, k]: feature j's weight in component c at j·k + c.
  const weights = Array.from({ length: f * k }, (_, i) => model.components[i % k]!.weights[Math.floor(i / k)]!);
  return encodeOnnxModel({
    name: 'logistic_mixture',
    inputs: [{ name: 'features', dims: ['N', f] }],
    outputs: [{ name: 'probability', dims: ['N', 1] }],
    initializers: [
      { name: 'mean', dims: [f], floats: model.means },
      { name: 'scale', dims: [f], floats: model.scales },
      { name: 'weights', dims: [f, k], floats: weights },
      { name: 'bias', dims: [k], floats: model.components.map((c) => c.bias) },
      { name: 'one', dims: [1], floats: [1] },
    ],
    nodes: [
      { op: 'Sub', inputs: ['features', 'mean'], outputs: ['centred'] },
      { op: 'Div', inputs: ['centred', 'scale'], outputs: ['standardised'] },
      { op: 'MatMul', inputs: ['standardised', 'weights'], outputs: ['product'] },
      { op: 'Add', inputs: ['product', 'bias'], outputs: ['logits'] },
      { op: 'Sigmoid', inputs: ['logits'], outputs: ['each'] },
      { op: 'Sub', inputs: ['one', 'each'], outputs: ['clear'] },
      {
        op: 'ReduceProd',
        inputs: ['clear'],
        outputs: ['none'],
        attributes: [
          { name: 'axes', ints: [1] },
          { name: 'keepdims', i: 1 },
        ],
      },
      { op: 'Sub', inputs: ['one', 'none'], outputs: ['probability'] },
    ],
    ...(model.docString === undefined ? {} : { docString: model.docString }),
    ...(model.metadata === undefined ? {} : { metadata: model.metadata }),
  });
}
