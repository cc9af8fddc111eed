import { describe, expect, it } from 'vitest'
import {
  bestIndex,
  formatMetric,
  formatSetting,
  metricLabel,
  percent,
  roundForPeople,
  settingLabel,
  versionName,
} from './words'

describe('words for people', () => {
  it('names settings in words, for sweep paths and compared settings alike', () => {
    expect(settingLabel('learningRate')).toBe('learning rate')
    expect(settingLabel('layers.3.units')).toBe('layer 4 · units')
    expect(settingLabel('layers.0.kernelSize')).toBe('layer 1 · kernel size')
    expect(settingLabel('layers.2.rate')).toBe('layer 3 · dropout rate')
    expect(settingLabel('layer 2 Conv2D.filters')).toBe('layer 2 Conv2D · filters')
    expect(settingLabel('augmentation.rotation')).toBe('rotation (±°)')
    expect(settingLabel('input shape')).toBe('input shape')
    expect(settingLabel('someNewThing.innerValue')).toBe('some new thing · inner value')
  })

  it('names metrics in words', () => {
    expect(metricLabel('val_accuracy')).toBe('validation accuracy')
    expect(metricLabel('batch/loss')).toBe('training loss per batch')
    expect(metricLabel('val_r2')).toBe('val r2')
  })

  it('rounds numbers for people and never shows Infinity', () => {
    expect(roundForPeople(0.005758735261934169)).toBe('0.00576')
    expect(roundForPeople(0.1 + 0.2)).toBe('0.3')
    expect(roundForPeople(12345.678)).toBe('12,346')
    expect(roundForPeople(-Infinity)).toBe('—')
    expect(roundForPeople(Number.NaN)).toBe('—')
    expect(roundForPeople(0.00001234)).toBe('1.2e-5')
    expect(percent(0.96789)).toBe('96.8 %')
    expect(percent(Infinity)).toBe('—')
    expect(formatMetric('val_accuracy', 0.9)).toBe('90.0 %')
    expect(formatMetric('val_loss', 0.123456)).toBe('0.123')
    expect(formatSetting('0.005758735261934169')).toBe('0.00576')
    expect(formatSetting(true)).toBe('yes')
    expect(formatSetting([3, 3])).toBe('3×3')
    expect(formatSetting('adam')).toBe('adam')
  })

  it('marks one best value, never a tie', () => {
    expect(bestIndex([0.9, 0.95, 0.8])).toBe(1)
    expect(bestIndex([0.95, 0.95, 0.8])).toBe(-1)
    expect(bestIndex([0.3, 0.2], true)).toBe(1)
    expect(bestIndex([null, 0.5])).toBe(-1)
    expect(versionName(3)).toBe('data version 3')
  })
})
