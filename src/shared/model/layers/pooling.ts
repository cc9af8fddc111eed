import { noExtraKeys, oneOf, pair, windowOutput } from '../check'
import { formatShape, LayerError, type LayerConfigs, type LayerDefinition } from '../types'
import { requireImage } from './spatial'

type PoolType = 'MaxPooling2D' | 'AveragePooling2D'

function pooling<T extends PoolType>(type: T, purpose: string): LayerDefinition<T> {
  const defaults = { poolSize: [2, 2], strides: null, padding: 'valid' } as LayerConfigs[T]
  return {
    type,
    group: 'pooling',
    purpose,
    defaults,
    normalize(c) {
      noExtraKeys(type, c, ['poolSize', 'strides', 'padding'])
      const poolSize = pair(type, 'poolSize', c.poolSize ?? defaults.poolSize)
      return {
        poolSize,
        strides: c.strides === null || c.strides === undefined ? null : pair(type, 'strides', c.strides),
        padding: oneOf(type, 'padding', c.padding ?? defaults.padding, ['valid', 'same'] as const),
      } as LayerConfigs[T]
    },
    outputShape(input, c) {
      const [h, w, ch] = requireImage(type, input)
      const strides = c.strides ?? c.poolSize
      const oh = windowOutput(h, c.poolSize[0], strides[0], c.padding)
      const ow = windowOutput(w, c.poolSize[1], strides[1], c.padding)
      if (oh < 1 || ow < 1)
        throw new LayerError(
          `${type}: a ${c.poolSize.join('×')} window does not fit in an input of ${formatShape(input)}`,
        )
      return [oh, ow, ch]
    },
    params: () => ({ trainable: 0, nonTrainable: 0 }),
  }
}

export const maxPooling2d = pooling(
  'MaxPooling2D',
  'Shrinks the image by keeping the strongest value in each small window.',
)
export const averagePooling2d = pooling('AveragePooling2D', 'Shrinks the image by averaging each small window.')
