/** The pooling layers in the main process: tfjs, read back, ONNX MaxPool, AveragePool and GlobalAveragePool. */
import * as tf from '@tensorflow/tfjs'
import type { LayerConfigs, Pair } from '../../../shared/model/types'
import { int, ints, outputSize, pads } from '../export/onnx-builder'
import { pairOf, type MainLayer, type OnnxContext, type OnnxState } from './parts'

type PoolConfig = LayerConfigs['MaxPooling2D']

function readBack(type: 'MaxPooling2D' | 'AveragePooling2D') {
  return (c: Record<string, unknown>) => {
    const poolSize = pairOf(c.poolSize)
    const strides = pairOf(c.strides)
    return {
      type,
      config: {
        poolSize,
        strides: strides[0] === poolSize[0] && strides[1] === poolSize[1] ? null : strides,
        padding: c.padding as 'valid' | 'same',
      },
    }
  }
}

function pool(op: 'MaxPool' | 'AveragePool') {
  return (c: PoolConfig, { x, shape, layout }: OnnxState, { g }: OnnxContext): OnnxState => {
    const strides = c.strides ?? c.poolSize
    const hw: Pair = [shape[0]!, shape[1]!]
    // AveragePool's count_include_pad defaults to 0: padded cells are left out of the mean, as in tfjs.
    const out = g.node(
      op,
      [x],
      [
        ints('kernel_shape', c.poolSize),
        ints('strides', strides),
        ints('pads', pads(c.padding, hw, c.poolSize, strides)),
      ],
    )
    return {
      x: out,
      shape: [
        outputSize(c.padding, hw[0], c.poolSize[0], strides[0]),
        outputSize(c.padding, hw[1], c.poolSize[1], strides[1]),
        shape[2]!,
      ],
      layout,
    }
  }
}

export const maxPooling2d: MainLayer<'MaxPooling2D'> = {
  build: (c, { first }) =>
    tf.layers.maxPooling2d({ ...first, poolSize: c.poolSize, strides: c.strides ?? c.poolSize, padding: c.padding }),
  fromTfjs: readBack('MaxPooling2D'),
  onnx: pool('MaxPool'),
}

export const averagePooling2d: MainLayer<'AveragePooling2D'> = {
  build: (c, { first }) =>
    tf.layers.averagePooling2d({
      ...first,
      poolSize: c.poolSize,
      strides: c.strides ?? c.poolSize,
      padding: c.padding,
    }),
  fromTfjs: readBack('AveragePooling2D'),
  onnx: pool('AveragePool'),
}

export const globalAveragePooling2d: MainLayer<'GlobalAveragePooling2D'> = {
  build: (_c, { first }) => tf.layers.globalAveragePooling2d({ ...first }),
  fromTfjs: () => ({ type: 'GlobalAveragePooling2D', config: {} }),
  onnx: (_c, { x, shape }, { g }) => ({
    x: g.node('Flatten', [g.node('GlobalAveragePool', [x])], [int('axis', 1)]),
    shape: [shape[2]!],
    layout: 'flat',
  }),
}
