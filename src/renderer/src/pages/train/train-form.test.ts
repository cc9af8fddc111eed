import { describe, expect, it } from 'vitest'
import { defaultTrainForm, restoreTrainForm } from './train-form'

describe('train form drafts', () => {
  const defaults = defaultTrainForm(() => 0.5)

  it('gives back what was kept', () => {
    const kept = {
      ...defaults,
      hp: { ...defaults.hp, learningRate: 0.0057, epochs: 12 },
      seed: 7,
      early: { on: true, metric: 'val_accuracy' as const, patience: 5 },
      modelChoice: 'arch-1',
    }
    expect(restoreTrainForm(JSON.parse(JSON.stringify(kept)), defaults)).toEqual(kept)
  })

  it('keeps the defaults for missing or mistyped fields, field by field', () => {
    expect(restoreTrainForm(null, defaults)).toEqual(defaults)
    expect(
      restoreTrainForm(
        { hp: { epochs: '12', learningRate: 0.01 }, seed: null, early: { metric: 'loss' }, extra: 1 },
        defaults,
      ),
    ).toEqual({
      ...defaults,
      hp: { ...defaults.hp, learningRate: 0.01 },
    })
  })
})
