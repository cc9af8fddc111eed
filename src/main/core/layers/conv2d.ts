/** Conv2D in the main process: tfjs, read back, ONNX Conv (kernel to [out, in, kh, kw]) and its activation. */
import * as tf from '@tensorflow/tfjs'
import type { Pair } from '../../../shared/model/types'
import { activation, convKernel, ints, outputSize, pads, weight } from '../export/onnx-builder'
import { activationOf, pairOf, type MainLayer } from './parts'

export const conv2d: MainLayer<'Conv2D'> = {
  build: (c, { first }) =>
    tf.layers.conv2d({
      ...first,
      filters: c.filters,
      kernelSize: c.kernelSize,
      strides: c.strides,
      padding: c.padding,
      activation: c.activation,
      useBias: c.useBias,
    }),
  fromTfjs: (c, init) => ({
    type: 'Conv2D',
    config: {
      filters: c.filters as number,
      kernelSize: pairOf(c.kernelSize),
      strides: pairOf(c.strides),
      padding: c.padding as 'valid' | 'same',
      activation: activationOf(c),
      useBias: c.useBias as boolean,
      kernelInitializer: init,
    },
  }),
  onnx: (c, { x, shape, layout }, { g, weights, index }) => {
    const kernel = convKernel(weight(weights, index, 'Conv2D', 'kernel'))
    const inputs = [x, g.constant('conv_kernel', kernel.shape, kernel.values)]
    if (c.useBias) inputs.push(g.constant('conv_bias', [c.filters], weight(weights, index, 'Conv2D', 'bias').values))
    const hw: Pair = [shape[0]!, shape[1]!]
    const out = g.node('Conv', inputs, [
      ints('kernel_shape', c.kernelSize),
      ints('strides', c.strides),
      ints('pads', pads(c.padding, hw, c.kernelSize, c.strides)),
      ints('dilations', [1, 1]),
    ])
    return {
      x: activation(g, out, c.activation, layout),
      shape: [
        outputSize(c.padding, hw[0], c.kernelSize[0], c.strides[0]),
        outputSize(c.padding, hw[1], c.kernelSize[1], c.strides[1]),
        c.filters,
      ],
      layout,
    }
  },
}
