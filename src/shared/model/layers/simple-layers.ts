import { noExtraKeys, numberIn, oneOf } from '../check'
import { layerActivations, type LayerDefinition } from '../types'

export const dropout: LayerDefinition<'Dropout'> = {
  type: 'Dropout',
  group: 'regularisation',
  purpose: 'While training, switches off a random share of the values so the model cannot memorise.',
  defaults: { rate: 0.5 },
  normalize(c) {
    noExtraKeys('Dropout', c, ['rate'])
    return { rate: numberIn('Dropout', 'rate', c.rate ?? 0.5, 0, 1, { maxOpen: true }) }
  },
  outputShape: (input) => input,
  params: () => ({ trainable: 0, nonTrainable: 0 }),
}

export const batchNormalization: LayerDefinition<'BatchNormalization'> = {
  type: 'BatchNormalization',
  group: 'normalisation',
  purpose: 'Keeps the values flowing through the network centred and scaled, which steadies training.',
  defaults: { momentum: 0.99, epsilon: 0.001 },
  normalize(c) {
    noExtraKeys('BatchNormalization', c, ['momentum', 'epsilon'])
    return {
      momentum: numberIn('BatchNormalization', 'momentum', c.momentum ?? 0.99, 0, 1),
      epsilon: numberIn('BatchNormalization', 'epsilon', c.epsilon ?? 0.001, 0, 1, { minOpen: true }),
    }
  },
  outputShape: (input) => input,
  params: (input) => {
    const channels = input.at(-1) ?? 0
    return { trainable: 2 * channels, nonTrainable: 2 * channels }
  },
}

export const activation: LayerDefinition<'Activation'> = {
  type: 'Activation',
  group: 'core',
  purpose: 'Applies a function such as ReLU or softmax to every value.',
  defaults: { activation: 'relu' },
  normalize(c) {
    noExtraKeys('Activation', c, ['activation'])
    return { activation: oneOf('Activation', 'activation', c.activation ?? 'relu', layerActivations) }
  },
  outputShape: (input) => input,
  params: () => ({ trainable: 0, nonTrainable: 0 }),
}
