import { describe, expect, it } from 'vitest'
import { hyperparametersSchema } from '../../../../shared/training'
import { defaultTrainForm, restoreTrainForm, toHyperparameters, trainFormReducer } from './train-form'

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

describe('train form reducer', () => {
  const defaults = defaultTrainForm(() => 0.5)

  it('takes its defaults from the contract schema', () => {
    const schema = hyperparametersSchema.parse({})
    expect(defaults.hp).toEqual({
      optimizer: schema.optimizer,
      learningRate: schema.learningRate,
      batchSize: schema.batchSize,
      epochs: schema.epochs,
      normalization: schema.normalization,
    })
    expect(defaults.aug).toEqual(schema.augmentation)
    expect(defaults.initializer).toBe(schema.initializer)
    expect(toHyperparameters(defaults)).toMatchObject({ ...defaults.hp, earlyStopping: null })
  })

  it('sets a section, restores a draft over the form, and takes a sweep’s settings keeping the seed and folds', () => {
    const set = trainFormReducer(defaults, { type: 'set', patch: { seed: 9, folds: 3, modelChoice: 'arch-1' } })
    expect(set).toMatchObject({ seed: 9, folds: 3, modelChoice: 'arch-1', hp: defaults.hp })
    expect(trainFormReducer(set, { type: 'restore', saved: { hp: { epochs: 12 }, seed: 'x' } })).toEqual({
      ...set,
      hp: { ...set.hp, epochs: 12 },
    })
    const best = trainFormReducer(set, {
      type: 'useHyperparameters',
      hyperparameters: { learningRate: 0.02, earlyStopping: { patience: 4 } },
    })
    expect(best).toMatchObject({
      modelChoice: 'draft',
      seed: 9,
      folds: 3,
      hp: { ...defaults.hp, learningRate: 0.02 },
      early: { on: true, metric: 'val_loss', patience: 4 },
    })
    expect(toHyperparameters(best).earlyStopping).toEqual({ metric: 'val_loss', patience: 4, restoreBest: true })
  })

  it('drops a kept value the schema no longer accepts', () => {
    expect(
      restoreTrainForm({ hp: { optimizer: 'nadam' }, initializer: 'ones', aug: { flip: 'sideways' } }, defaults),
    ).toEqual(defaults)
  })
})
