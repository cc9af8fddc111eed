/**
 * ONNX nodes for a tfjs functional graph of Keras layers — what a pretrained backbone is made of:
 * zero padding, convolution, depthwise convolution, BatchNorm, clipped ReLU, residual add and average
 * pooling. Works channels-first (NCHW) like the rest of the ONNX writer; weights are read from the layers.
 */
import * as tf from '@tensorflow/tfjs'
import { layerActivations, type LayerActivationName } from '../../../shared/model/types'
import {
  activation,
  convKernel,
  encodeModel,
  float,
  GraphBuilder,
  int,
  ints,
  onnxInputName,
  onnxOutputName,
  type OnnxOptions,
  outputSize,
  pads,
} from './onnx-builder'

type Weights = Record<string, { shape: number[]; values: Float32Array }>

function weightsOf(layer: tf.layers.Layer): Weights {
  return Object.fromEntries(
    layer.weights.map((w) => [
      w.originalName.split('/').pop()!,
      { shape: [...w.shape] as number[], values: Float32Array.from(w.read().dataSync()) },
    ]),
  )
}

function need(w: Weights, layer: tf.layers.Layer, name: string): { shape: number[]; values: Float32Array } {
  const v = w[name]
  if (!v) throw new Error(`${layer.name} (${layer.getClassName()}) has no ${name} weights`)
  return v
}

/** Keras depthwise kernel [kh, kw, channels, multiplier] → ONNX grouped Conv weight [channels × multiplier, 1, kh, kw]. */
function depthwiseKernel(kernel: { shape: number[]; values: Float32Array }): { shape: number[]; values: Float32Array } {
  const [kh, kw, c, m] = kernel.shape as [number, number, number, number]
  const out = new Float32Array(kernel.values.length)
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let ch = 0; ch < c; ch++)
        for (let k = 0; k < m; k++)
          out[((ch * m + k) * kh + y) * kw + x] = kernel.values[((y * kw + x) * c + ch) * m + k]!
  return { shape: [c * m, 1, kh, kw], values: out }
}

const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]

/** A Keras layer's activation, written by the ONNX writer's own activation (channels-first inside a backbone). */
function layerActivation(g: GraphBuilder, x: string, name: unknown, layer: tf.layers.Layer): string {
  const activationName = (name ?? 'linear') as LayerActivationName
  if (!layerActivations.includes(activationName))
    throw new Error(`${layer.name}: activation ${String(name)} is not exported to ONNX inside a backbone`)
  return activation(g, x, activationName, 'nchw')
}

/**
 * Appends the nodes computing `model`'s output from `input` (an NCHW tensor name of `model`'s input shape,
 * given NHWC as [h, w, c]). Returns the output name: NCHW for a 3-D output, [batch, n] for a flat one.
 */
export function appendGraph(
  g: GraphBuilder,
  model: tf.LayersModel,
  input: string,
): { output: string; shape: number[] } {
  const names = new Map<string, { name: string; shape: number[] }>()
  const inputLayer = model.inputLayers[0]!
  names.set(inputLayer.name, { name: input, shape: (model.inputs[0]!.shape as number[]).slice(1) })
  for (const layer of model.layers) {
    if (layer === inputLayer) continue
    // Node 0 is the layer in the backbone's own graph (a fine-tuned backbone's later layers have a second one).
    const inbound = layer.inboundNodes[0]
    if (!inbound || !inbound.inboundLayers.every((l) => names.has(l.name)))
      throw new Error(`${layer.name}: its inputs come before this graph`)
    const ins = inbound.inboundLayers.map((l) => names.get(l.name)!)
    const x = ins[0]!.name
    const shape = ins[0]!.shape
    const c = layer.getConfig() as Record<string, unknown>
    const w = weightsOf(layer)
    let out: string
    let outShape = shape
    switch (layer.getClassName()) {
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = c.padding as [[number, number], [number, number]]
        out = g.node('Pad', [x, g.int64s('pads', [0, 0, top, left, 0, 0, bottom, right])], [])
        outShape = [shape[0]! + top + bottom, shape[1]! + left + right, shape[2]!]
        break
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = layer.getClassName() === 'DepthwiseConv2D'
        const kernelSize = pair(c.kernelSize)
        const strides = pair(c.strides)
        const padding = c.padding as 'valid' | 'same'
        if (pair(c.dilationRate ?? 1).some((d) => d !== 1))
          throw new Error(`${layer.name}: dilated convolutions are not exported`)
        const kernel = depthwise
          ? depthwiseKernel(need(w, layer, 'depthwise_kernel'))
          : convKernel(need(w, layer, 'kernel'))
        const filters = kernel.shape[0]!
        const inputs = [x, g.constant('conv_kernel', kernel.shape, kernel.values)]
        if (c.useBias) inputs.push(g.constant('conv_bias', [filters], need(w, layer, 'bias').values))
        const hw: [number, number] = [shape[0]!, shape[1]!]
        const attrs = [
          ints('kernel_shape', kernelSize),
          ints('strides', strides),
          ints('pads', pads(padding, hw, kernelSize, strides)),
          ints('dilations', [1, 1]),
        ]
        if (depthwise) attrs.push(int('group', shape[2]!))
        out = layerActivation(g, g.node('Conv', inputs, attrs), c.activation, layer)
        outShape = [
          outputSize(padding, hw[0], kernelSize[0], strides[0]),
          outputSize(padding, hw[1], kernelSize[1], strides[1]),
          filters,
        ]
        break
      }
      case 'BatchNormalization': {
        const channels = shape.at(-1)!
        const param = (name: string): string => g.constant(`bn_${name}`, [channels], need(w, layer, name).values)
        out = g.node(
          'BatchNormalization',
          [x, param('gamma'), param('beta'), param('moving_mean'), param('moving_variance')],
          [float('epsilon', c.epsilon as number)],
        )
        break
      }
      case 'ReLU': {
        if ((c.negativeSlope ?? 0) !== 0 || (c.threshold ?? 0) !== 0)
          throw new Error(`${layer.name}: a leaky or thresholded ReLU is not exported`)
        const max = c.maxValue as number | null | undefined
        out =
          max == null
            ? g.node('Relu', [x])
            : g.node('Clip', [x, g.constant('clip_min', [], [0]), g.constant('clip_max', [], [max])])
        break
      }
      case 'Add':
        out = ins.slice(1).reduce((sum, t) => g.node('Add', [sum, t.name]), x)
        break
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        const poolSize = pair(c.poolSize)
        const strides = pair(c.strides ?? c.poolSize)
        const padding = c.padding as 'valid' | 'same'
        const hw: [number, number] = [shape[0]!, shape[1]!]
        out = g.node(
          layer.getClassName() === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool',
          [x],
          [
            ints('kernel_shape', poolSize),
            ints('strides', strides),
            ints('pads', pads(padding, hw, poolSize, strides)),
          ],
        )
        outShape = [
          outputSize(padding, hw[0], poolSize[0], strides[0]),
          outputSize(padding, hw[1], poolSize[1], strides[1]),
          shape[2]!,
        ]
        break
      }
      case 'GlobalAveragePooling2D':
        out = g.node('Flatten', [g.node('GlobalAveragePool', [x])], [int('axis', 1)])
        outShape = [shape[2]!]
        break
      case 'Flatten':
        // Keras flattens channels-last.
        out =
          shape.length === 3
            ? g.node('Flatten', [g.node('Transpose', [x], [ints('perm', [0, 2, 3, 1])])], [int('axis', 1)])
            : x
        outShape = [shape.reduce((a, b) => a * b, 1)]
        break
      default:
        throw new Error(`${layer.name}: layer ${layer.getClassName()} is not exported to ONNX`)
    }
    names.set(layer.name, { name: out, shape: outShape })
  }
  const result = names.get(model.outputLayers[0]!.name)
  if (!result) throw new Error('the graph has no output')
  return { output: result.name, shape: result.shape }
}

/** A whole ONNX model of a tfjs graph with an NHWC image input (the backbone's frozen part, for onnxruntime). */
export function graphToOnnx(model: tf.LayersModel, options: OnnxOptions): Uint8Array {
  const g = new GraphBuilder()
  const inputShape = (model.inputs[0]!.shape as number[]).slice(1)
  const { output, shape } = appendGraph(g, model, g.node('Transpose', [onnxInputName], [ints('perm', [0, 3, 1, 2])]))
  g.node(
    'Identity',
    [shape.length === 3 ? g.node('Transpose', [output], [ints('perm', [0, 2, 3, 1])]) : output],
    [],
    onnxOutputName,
  )
  return encodeModel(g, inputShape, shape, options)
}
