import { bool, noExtraKeys, oneOf, positiveInt } from '../check'
import { activations, formatShape, initializers, LayerError, type LayerDefinition } from '../types'

export const dense: LayerDefinition<'Dense'> = {
  type: 'Dense',
  group: 'core',
  purpose: 'Connects every input to every unit: the layer that combines features into a decision.',
  defaults: { units: 64, activation: 'relu', useBias: true, kernelInitializer: 'glorotUniform' },
  normalize(c) {
    const d = dense.defaults
    noExtraKeys('Dense', c, Object.keys(d))
    return {
      units: positiveInt('Dense', 'units', c.units ?? d.units),
      activation: oneOf('Dense', 'activation', c.activation ?? d.activation, activations),
      useBias: bool('Dense', 'useBias', c.useBias ?? d.useBias),
      kernelInitializer: oneOf('Dense', 'kernelInitializer', c.kernelInitializer ?? d.kernelInitializer, initializers),
    }
  },
  outputShape(input, c) {
    if (input.length !== 1) {
      throw new LayerError(
        `Dense needs a flat input, but its input is ${formatShape(input)}; add a Flatten or GlobalAveragePooling2D first`,
      )
    }
    return [c.units]
  },
  params: (input, c) => ({ trainable: input[0]! * c.units + (c.useBias ? c.units : 0), nonTrainable: 0 }),
}
