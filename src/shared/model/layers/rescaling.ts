import { finiteNumber, noExtraKeys } from '../check'
import type { LayerDefinition } from '../types'

export const rescaling: LayerDefinition<'Rescaling'> = {
  type: 'Rescaling',
  group: 'preprocess',
  purpose: 'Multiplies every input value, e.g. by 1/255 to turn 0–255 pixels into 0–1.',
  defaults: { scale: 1 / 255, offset: 0 },
  normalize(c) {
    noExtraKeys('Rescaling', c, ['scale', 'offset'])
    return {
      scale: finiteNumber('Rescaling', 'scale', c.scale ?? 1 / 255),
      offset: finiteNumber('Rescaling', 'offset', c.offset ?? 0),
    }
  },
  outputShape: (input) => input,
  params: () => ({ trainable: 0, nonTrainable: 0 }),
}
