/** Dropout, BatchNormalization and Activation in the main process. */
import * as tf from '@tensorflow/tfjs'
import { activation, float, weight } from '../export/onnx-builder'
import { activationOf, type MainLayer } from './parts'

export const dropout: MainLayer<'Dropout'> = {
  build: (c, { first, isFirst, options }) =>
    options.dropout && !isFirst ? options.dropout(c.rate) : tf.layers.dropout({ ...first, rate: c.rate }),
  fromTfjs: (c) => ({ type: 'Dropout', config: { rate: c.rate as number } }),
  // Only active while training; the exported model predicts, so it is the identity.
  onnx: (_c, state) => state,
}

export const batchNormalization: MainLayer<'BatchNormalization'> = {
  build: (c, { first }) => tf.layers.batchNormalization({ ...first, momentum: c.momentum, epsilon: c.epsilon }),
  fromTfjs: (c) => ({
    type: 'BatchNormalization',
    config: { momentum: c.momentum as number, epsilon: c.epsilon as number },
  }),
  onnx: (c, { x, shape, layout }, { g, weights, index }) => {
    const channels = shape.at(-1)!
    const param = (name: string): string =>
      g.constant(`bn_${name}`, [channels], weight(weights, index, 'BatchNormalization', name).values)
    const out = g.node(
      'BatchNormalization',
      [x, param('gamma'), param('beta'), param('moving_mean'), param('moving_variance')],
      [float('epsilon', c.epsilon)],
    )
    return { x: out, shape, layout }
  },
}

export const activationLayer: MainLayer<'Activation'> = {
  build: (c, { first }) =>
    c.activation === 'leakyRelu'
      ? tf.layers.leakyReLU({ ...first })
      : tf.layers.activation({ ...first, activation: c.activation }),
  // tfjs builds a leaky ReLU as its own LeakyReLU layer.
  fromTfjs: (c, _init, className) => ({
    type: 'Activation',
    config: { activation: className === 'LeakyReLU' ? 'leakyRelu' : activationOf(c) },
  }),
  onnx: (c, { x, shape, layout }, { g }) => ({ x: activation(g, x, c.activation, layout), shape, layout }),
}
