import { bool, noExtraKeys, oneOf, pair, positiveInt, windowOutput } from '../check'
import { activations, formatShape, initializers, LayerError, type LayerDefinition } from '../types'
import { requireImage } from './spatial'

export const conv2d: LayerDefinition<'Conv2D'> = {
  type: 'Conv2D',
  group: 'convolution',
  purpose: 'Slides small learned filters over the image to find edges, textures and shapes.',
  defaults: {
    filters: 32,
    kernelSize: [3, 3],
    strides: [1, 1],
    padding: 'valid',
    activation: 'relu',
    useBias: true,
    kernelInitializer: 'glorotUniform',
  },
  normalize(c) {
    const d = conv2d.defaults
    noExtraKeys('Conv2D', c, Object.keys(d))
    return {
      filters: positiveInt('Conv2D', 'filters', c.filters ?? d.filters),
      kernelSize: pair('Conv2D', 'kernelSize', c.kernelSize ?? d.kernelSize),
      strides: pair('Conv2D', 'strides', c.strides ?? d.strides),
      padding: oneOf('Conv2D', 'padding', c.padding ?? d.padding, ['valid', 'same'] as const),
      activation: oneOf('Conv2D', 'activation', c.activation ?? d.activation, activations),
      useBias: bool('Conv2D', 'useBias', c.useBias ?? d.useBias),
      kernelInitializer: oneOf('Conv2D', 'kernelInitializer', c.kernelInitializer ?? d.kernelInitializer, initializers),
    }
  },
  outputShape(input, c) {
    const [h, w] = requireImage('Conv2D', input)
    const oh = windowOutput(h, c.kernelSize[0], c.strides[0], c.padding)
    const ow = windowOutput(w, c.kernelSize[1], c.strides[1], c.padding)
    if (oh < 1 || ow < 1) {
      throw new LayerError(
        `Conv2D: a ${c.kernelSize.join('×')} kernel does not fit in an input of ${formatShape(input)} without padding; use padding "same" or a smaller kernelSize`,
      )
    }
    return [oh, ow, c.filters]
  },
  params(input, c) {
    const channels = input[2] ?? 0
    return {
      trainable: c.kernelSize[0] * c.kernelSize[1] * channels * c.filters + (c.useBias ? c.filters : 0),
      nonTrainable: 0,
    }
  },
}
