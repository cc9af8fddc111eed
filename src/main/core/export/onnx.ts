/**
 * Writes an ONNX model (opset 13, dynamic batch) from a model spec and its trained weights, using the
 * `onnx-proto` package (protobufjs code generated from ONNX's own onnx.proto). Every layer type in the
 * registry is covered.
 *
 * Layout: the model takes NHWC input, as the app and the TF.js export do. Image models transpose to NCHW
 * once after the input (ONNX's Conv and pooling work channels-first), and back to NHWC before Flatten, so
 * the flattened order — and hence the Dense weights — is exactly Keras'.
 */
import type * as tf from '@tensorflow/tfjs'
import onnxProto from 'onnx-proto'
import { appendGraph } from './onnx-graph'
import { canonicalSpec } from '../../../shared/model/registry'
import type { LayerActivationName, LayerSpec, ModelSpec, Pair, Padding } from '../../../shared/model/types'

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

type Layout = 'flat' | 'nchw'

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

function weight(
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

/** Builds the ONNX model; `weights[i]` holds layer i's weights (empty for layers without any). */
export function buildOnnxModel(rawSpec: ModelSpec, weights: LayerWeights[], options: OnnxOptions): Uint8Array {
  const layers: LayerSpec[] = canonicalSpec(rawSpec).layers
  const g = new GraphBuilder()
  let shape = [...rawSpec.inputShape]
  let layout: Layout = 'flat'
  let x = onnxInputName
  if (shape.length === 3) {
    x = g.node('Transpose', [x], [ints('perm', [0, 3, 1, 2])])
    layout = 'nchw'
  } else if (shape.length !== 1) {
    throw new Error(
      `An input of shape [${shape.join(', ')}] cannot be exported; images are [height, width, channels], tables [features]`,
    )
  }

  layers.forEach((layer, i) => {
    const w = weights[i] ?? {}
    switch (layer.type) {
      case 'Pretrained': {
        if (!options.backbone) throw new Error(`Layer ${i + 1} (Pretrained): the backbone's graph was not given`)
        const out = appendGraph(g, options.backbone, x)
        x = out.output
        shape = out.shape
        layout = shape.length === 3 ? 'nchw' : 'flat'
        return
      }
      case 'Rescaling':
        x = g.node('Mul', [x, g.constant('scale', [], [layer.config.scale])])
        if (layer.config.offset !== 0) x = g.node('Add', [x, g.constant('offset', [], [layer.config.offset])])
        return
      case 'Conv2D': {
        const c = layer.config
        const kernel = convKernel(weight(w, i, layer.type, 'kernel'))
        const inputs = [x, g.constant('conv_kernel', kernel.shape, kernel.values)]
        if (c.useBias) inputs.push(g.constant('conv_bias', [c.filters], weight(w, i, layer.type, 'bias').values))
        const hw: Pair = [shape[0]!, shape[1]!]
        x = g.node('Conv', inputs, [
          ints('kernel_shape', c.kernelSize),
          ints('strides', c.strides),
          ints('pads', pads(c.padding, hw, c.kernelSize, c.strides)),
          ints('dilations', [1, 1]),
        ])
        x = activation(g, x, c.activation, layout)
        shape = [
          outputSize(c.padding, hw[0], c.kernelSize[0], c.strides[0]),
          outputSize(c.padding, hw[1], c.kernelSize[1], c.strides[1]),
          c.filters,
        ]
        return
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const c = layer.config
        const strides = c.strides ?? c.poolSize
        const hw: Pair = [shape[0]!, shape[1]!]
        // AveragePool's count_include_pad defaults to 0: padded cells are left out of the mean, as in tfjs.
        x = g.node(
          layer.type === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool',
          [x],
          [
            ints('kernel_shape', c.poolSize),
            ints('strides', strides),
            ints('pads', pads(c.padding, hw, c.poolSize, strides)),
          ],
        )
        shape = [
          outputSize(c.padding, hw[0], c.poolSize[0], strides[0]),
          outputSize(c.padding, hw[1], c.poolSize[1], strides[1]),
          shape[2]!,
        ]
        return
      }
      case 'GlobalAveragePooling2D':
        x = g.node('Flatten', [g.node('GlobalAveragePool', [x])], [int('axis', 1)])
        shape = [shape[2]!]
        layout = 'flat'
        return
      case 'Flatten':
        if (layout === 'nchw')
          x = g.node('Flatten', [g.node('Transpose', [x], [ints('perm', [0, 2, 3, 1])])], [int('axis', 1)])
        shape = [shape.reduce((a, b) => a * b, 1)]
        layout = 'flat'
        return
      case 'Dense': {
        const c = layer.config
        const kernel = weight(w, i, layer.type, 'kernel')
        const bias = c.useBias ? weight(w, i, layer.type, 'bias').values : new Float32Array(c.units)
        x = g.node('Gemm', [
          x,
          g.constant('dense_kernel', kernel.shape, kernel.values),
          g.constant('dense_bias', [c.units], bias),
        ])
        x = activation(g, x, c.activation, layout)
        shape = [c.units]
        return
      }
      case 'Dropout':
        // Only active while training; the exported model predicts, so it is the identity.
        return
      case 'BatchNormalization': {
        const channels = shape.at(-1)!
        const param = (name: string): string =>
          g.constant(`bn_${name}`, [channels], weight(w, i, layer.type, name).values)
        x = g.node(
          'BatchNormalization',
          [x, param('gamma'), param('beta'), param('moving_mean'), param('moving_variance')],
          [float('epsilon', layer.config.epsilon)],
        )
        return
      }
      case 'Activation':
        x = activation(g, x, layer.config.activation, layout)
        return
    }
  })
  if (layout === 'nchw') x = g.node('Transpose', [x], [ints('perm', [0, 2, 3, 1])])
  g.node('Identity', [x], [], onnxOutputName)

  return encodeModel(g, rawSpec.inputShape, shape, options)
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
