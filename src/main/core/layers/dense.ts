/** Dense in the main process: tfjs, read back, ONNX Gemm and its activation. */
import * as tf from '@tensorflow/tfjs'
import { activation, weight } from '../export/onnx-builder'
import { activationOf, type MainLayer } from './parts'

export const dense: MainLayer<'Dense'> = {
  build: (c, { first }) => tf.layers.dense({ ...first, units: c.units, activation: c.activation, useBias: c.useBias }),
  fromTfjs: (c, init) => ({
    type: 'Dense',
    config: {
      units: c.units as number,
      activation: activationOf(c),
      useBias: c.useBias as boolean,
      kernelInitializer: init,
    },
  }),
  onnx: (c, { x, layout }, { g, weights, index }) => {
    const kernel = weight(weights, index, 'Dense', 'kernel')
    const bias = c.useBias ? weight(weights, index, 'Dense', 'bias').values : new Float32Array(c.units)
    const out = g.node('Gemm', [
      x,
      g.constant('dense_kernel', kernel.shape, kernel.values),
      g.constant('dense_bias', [c.units], bias),
    ])
    return { x: activation(g, out, c.activation, layout), shape: [c.units], layout }
  },
}
