/** Flatten in the main process: back to NHWC before flattening, so the order (and the Dense weights after it) is Keras'. */
import * as tf from '@tensorflow/tfjs'
import { int, ints } from '../export/onnx-builder'
import type { MainLayer } from './parts'

export const flatten: MainLayer<'Flatten'> = {
  build: (_c, { first }) => tf.layers.flatten({ ...first }),
  fromTfjs: () => ({ type: 'Flatten', config: {} }),
  onnx: (_c, { x, shape, layout }, { g }) => ({
    x:
      layout === 'nchw'
        ? g.node('Flatten', [g.node('Transpose', [x], [ints('perm', [0, 2, 3, 1])])], [int('axis', 1)])
        : x,
    shape: [shape.reduce((a, b) => a * b, 1)],
    layout: 'flat',
  }),
}
