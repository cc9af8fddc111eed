/** Rescaling in the main process: tfjs, read back, ONNX Mul (and Add for an offset). */
import * as tf from '@tensorflow/tfjs'
import type { MainLayer } from './parts'

export const rescaling: MainLayer<'Rescaling'> = {
  build: (c, { first }) => tf.layers.rescaling({ ...first, scale: c.scale, offset: c.offset }),
  fromTfjs: (c) => ({ type: 'Rescaling', config: { scale: c.scale as number, offset: c.offset as number } }),
  onnx: (c, { x, shape, layout }, { g }) => {
    let out = g.node('Mul', [x, g.constant('scale', [], [c.scale])])
    if (c.offset !== 0) out = g.node('Add', [out, g.constant('offset', [], [c.offset])])
    return { x: out, shape, layout }
  },
}
