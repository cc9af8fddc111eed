import { noExtraKeys } from '../check'
import { formatShape, LayerError, type LayerDefinition } from '../types'
import { requireImage } from './spatial'

export const globalAveragePooling2d: LayerDefinition<'GlobalAveragePooling2D'> = {
  type: 'GlobalAveragePooling2D',
  group: 'pooling',
  purpose: 'Averages each feature map to one number: a compact alternative to Flatten.',
  defaults: {},
  normalize(c) {
    noExtraKeys('GlobalAveragePooling2D', c, [])
    return {}
  },
  outputShape(input) {
    return [requireImage('GlobalAveragePooling2D', input)[2]]
  },
  params: () => ({ trainable: 0, nonTrainable: 0 }),
}

export const flatten: LayerDefinition<'Flatten'> = {
  type: 'Flatten',
  group: 'core',
  purpose: 'Lays the image features out in one long row, so Dense layers can use them.',
  defaults: {},
  normalize(c) {
    noExtraKeys('Flatten', c, [])
    return {}
  },
  outputShape(input) {
    if (input.length < 2)
      throw new LayerError(
        `Flatten needs an input with at least 2 dimensions, but its input is ${formatShape(input)}, already flat`,
      )
    return [input.reduce((a, b) => a * b, 1)]
  },
  params: () => ({ trainable: 0, nonTrainable: 0 }),
}
