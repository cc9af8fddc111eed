/**
 * The pieces an ONNX graph is written with (opset 13, dynamic batch), using the `onnx-proto` package
 * (protobufjs code generated from ONNX's own onnx.proto): the graph builder, attributes, Keras padding as
 * ONNX pads, activations, kernel layouts, and the model proto around a finished graph. Each layer's own
 * nodes are written by its module (main/core/layers), the backbone's by onnx-graph.ts.
 */
import type * as tf from '@tensorflow/tfjs'
import onnxProto from 'onnx-proto'
import type { LayerActivationName, Pair, Padding } from '../../../shared/model/types'

const { onnx } = onnxProto

export const onnxOpset = 13
export const onnxInputName = 'input'
export const onnxOutputName = 'output'

/** One layer's trained weights by their Keras names (kernel, bias, gamma, beta, moving_mean, moving_variance). */
export type LayerWeights = Record<string, { shape: number[]; values: Float32Array }>

export interface OnnxOptions {
  producerVersion: string
  /** Written into the model's metadata_props (labels, preprocessing, …). */
  metadata?: Record<string, string>
  docString?: string
  /** The backbone (pixels → features, with its trained weights) of a spec that starts with a Pretrained layer. */
  backbone?: tf.LayersModel
}

/** How an image tensor is laid out inside the graph: channels first after the input's transpose, or flat. */
export type Layout = 'flat' | 'nchw'

export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = []
  readonly initializers: onnxProto.onnx.ITensorProto[] = []
  private counter = 0

  name(base: string): string {
    return `${base}_${++this.counter}`
  }

  constant(base: string, shape: number[], values: Float32Array | number[]): string {
    const name = this.name(base)
    const data = values instanceof Float32Array ? values : Float32Array.from(values)
    this.initializers.push({
      name,
      dims: shape,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    })
    return name
  }

  /** An int64 initializer (shapes, pads). */
  int64s(base: string, values: number[]): string {
    const name = this.name(base)
    const data = BigInt64Array.from(values.map((v) => BigInt(v)))
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    })
    return name
  }

  node(
    opType: string,
    inputs: string[],
    attributes: onnxProto.onnx.IAttributeProto[] = [],
    output = this.name(opType.toLowerCase()),
  ): string {
    this.nodes.push({
      opType,
      input: inputs,
      output: [output],
      name: `${opType}_${this.nodes.length + 1}`,
      attribute: attributes,
    })
    return output
  }
}

export const ints = (name: string, values: number[]): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INTS,
  ints: values,
})
export const int = (name: string, value: number): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i: value,
})
export const float = (name: string, value: number): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.FLOAT,
  f: value,
})

/** Keras' padding as explicit ONNX pads [top, left, bottom, right]: "same" puts the odd pixel at the end. */
export function pads(padding: Padding, input: Pair, kernel: Pair, strides: Pair): number[] {
  if (padding === 'valid') return [0, 0, 0, 0]
  const begin = [0, 0]
  const end = [0, 0]
  for (const d of [0, 1]) {
    const out = Math.ceil(input[d]! / strides[d]!)
    const total = Math.max((out - 1) * strides[d]! + kernel[d]! - input[d]!, 0)
    begin[d] = Math.floor(total / 2)
    end[d] = total - begin[d]!
  }
  return [...begin, ...end]
}

export function outputSize(padding: Padding, input: number, kernel: number, stride: number): number {
  return padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - kernel) / stride) + 1
}

export function activation(g: GraphBuilder, x: string, name: LayerActivationName, layout: Layout): string {
  switch (name) {
    case 'linear':
      return x
    case 'relu':
      return g.node('Relu', [x])
    case 'sigmoid':
      return g.node('Sigmoid', [x])
    case 'tanh':
      return g.node('Tanh', [x])
    case 'elu':
      return g.node('Elu', [x], [float('alpha', 1)])
    case 'leakyRelu':
      // tfjs' LeakyReLU layer defaults to alpha 0.3 (Keras' default), which is what the app builds.
      return g.node('LeakyRelu', [x], [float('alpha', 0.3)])
    case 'softmax':
      // Keras takes the softmax over the last axis: the channels, which are axis 1 in NCHW.
      return g.node('Softmax', [x], [int('axis', layout === 'nchw' ? 1 : -1)])
  }
}

/** A layer's weight by its Keras name, or an error naming the layer. */
export function weight(
  weights: LayerWeights,
  layer: number,
  type: string,
  name: string,
): { shape: number[]; values: Float32Array } {
  const w = weights[name]
  if (!w) throw new Error(`Layer ${layer + 1} (${type}) has no ${name} weights`)
  return w
}

/** Keras conv kernel [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
export function convKernel(kernel: { shape: number[]; values: Float32Array }): {
  shape: number[]
  values: Float32Array
} {
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number]
  const out = new Float32Array(kernel.values.length)
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++)
          out[((o * cin + i) * kh + y) * kw + x] = kernel.values[((y * kw + x) * cin + i) * cout + o]!
  return { shape: [cout, cin, kh, kw], values: out }
}

/** The model proto around a finished graph: input `input` [batch, …inputShape], output `output`. */
export function encodeModel(
  g: GraphBuilder,
  inputShape: readonly number[],
  shape: readonly number[],
  options: OnnxOptions,
): Uint8Array {
  const tensorType = (dims: Array<number | string>): onnxProto.onnx.ITypeProto => ({
    tensorType: {
      elemType: onnx.TensorProto.DataType.FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  })
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: onnxOpset }],
    producerName: 'ModelBench',
    producerVersion: options.producerVersion,
    docString: options.docString ?? '',
    graph: {
      name: 'modelbench',
      node: g.nodes,
      initializer: g.initializers,
      input: [{ name: onnxInputName, type: tensorType(['batch', ...inputShape]) }],
      output: [{ name: onnxOutputName, type: tensorType(['batch', ...shape]) }],
    },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  })
  return onnx.ModelProto.encode(model).finish()
}
