import { describe, expect, it } from 'vitest'
import { classificationMetrics, regressionMetrics, rocCurve } from './metrics'

describe('classification metrics', () => {
  it('match a hand-worked three-class example', () => {
    // truth:     a a a b b c
    // predicted: a a b b c c
    const m = classificationMetrics(['a', 'b', 'c'], [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2])
    expect(m.accuracy).toBeCloseTo(4 / 6)
    expect(m.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ])
    // a: P 2/2, R 2/3; b: P 1/2, R 1/2; c: P 1/2, R 1/1
    expect(m.classes.map((c) => [c.precision, c.recall, c.support])).toEqual([
      [1, 2 / 3, 3],
      [0.5, 0.5, 2],
      [0.5, 1, 1],
    ])
    expect(m.classes[0]!.f1).toBeCloseTo(0.8)
    expect(m.classes[2]!.f1).toBeCloseTo(2 / 3)
    expect(m.macro.precision).toBeCloseTo((1 + 0.5 + 0.5) / 3)
    expect(m.macro.recall).toBeCloseTo((2 / 3 + 0.5 + 1) / 3)
    expect(m.roc).toBeNull()
  })

  it('gives a class that is never predicted precision 0 instead of dividing by zero', () => {
    const m = classificationMetrics(['a', 'b'], [0, 1, 1], [0, 0, 0])
    expect(m.classes[1]).toEqual({ name: 'b', precision: 0, recall: 0, f1: 0, support: 2 })
    expect(m.accuracy).toBeCloseTo(1 / 3)
  })

  it('handles a single class and an empty split', () => {
    const one = classificationMetrics(['only'], [0, 0], [0, 0])
    expect(one).toMatchObject({ accuracy: 1, macro: { precision: 1, recall: 1, f1: 1 } })
    const empty = classificationMetrics(['a', 'b'], [], [])
    expect(empty).toMatchObject({
      count: 0,
      accuracy: 0,
      confusion: [
        [0, 0],
        [0, 0],
      ],
      roc: null,
    })
  })
})

describe('ROC AUC', () => {
  it('is 1 for perfect ranking, 0.5 for all ties, and matches a hand-worked case', () => {
    expect(rocCurve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]).auc).toBe(1)
    expect(rocCurve([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]).auc).toBe(0.5)
    // Scores 0.9(1) 0.8(0) 0.7(1) 0.1(0): of 4 positive/negative pairs, 3 are ranked right.
    expect(rocCurve([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]).auc).toBeCloseTo(0.75)
    expect(classificationMetrics(['n', 'p'], [1, 0, 1, 0], [1, 1, 0, 0], [0.9, 0.8, 0.7, 0.1]).roc?.auc).toBeCloseTo(
      0.75,
    )
  })
})

describe('regression metrics', () => {
  it('match a hand-worked example', () => {
    const m = regressionMetrics([1, 2, 3, 4], [1.5, 2, 2, 5])
    expect(m.mse).toBeCloseTo((0.25 + 0 + 1 + 1) / 4)
    expect(m.mae).toBeCloseTo((0.5 + 0 + 1 + 1) / 4)
    expect(m.r2).toBeCloseTo(1 - 2.25 / 5)
  })
})
