import { describe, expect, it } from 'vitest'
import { pruningSchema } from '../../../shared/sweep'
import { ashaRungs, shouldPrune, type TrialCurve } from './pruning'

const median = pruningSchema.parse({ rule: 'median', warmupEpochs: 1, minTrials: 3 })
const asha = pruningSchema.parse({ rule: 'asha', minEpochs: 1, reductionFactor: 3 })

/**
 * Plays trials one after another, epoch by epoch, as a sweep runs them; returns for each trial the epoch it
 * was stopped at (or null when it ran to the end).
 */
function play(rule: typeof median, curves: number[][], epochs: number): Array<number | null> {
  const done: TrialCurve[] = []
  return curves.map((curve) => {
    const current: TrialCurve = { values: [], finished: false }
    for (let e = 1; e <= epochs; e++) {
      current.values.push(curve[e - 1]!)
      if (shouldPrune(rule, current, e, done, epochs).prune) {
        done.push(current)
        return e
      }
    }
    current.finished = true
    done.push(current)
    return null
  })
}

describe('median stopping rule', () => {
  it('stops exactly the trials whose best so far is worse than the median of finished trials at that epoch', () => {
    // Losses (lower is better), 5 epochs each.
    const curves = [
      [1.0, 0.8, 0.6, 0.5, 0.4], // finished
      [1.1, 0.9, 0.7, 0.6, 0.5], // finished
      [0.9, 0.7, 0.5, 0.4, 0.3], // finished
      [1.2, 1.1, 1.0, 0.9, 0.8], // epoch 2: best 1.1 > median(0.8, 0.9, 0.7) = 0.8 → stopped at 2
      [0.8, 0.6, 0.5, 0.45, 0.35], // always at or below the median → runs to the end
      [0.95, 0.85, 0.55, 0.5, 0.4], // epoch 2: 0.85 > median(0.8, 0.9, 0.7, 0.6) = 0.75 → stopped at 2
      [1.5, 0.3, 0.9, 0.9, 0.9], // epoch 1 is warm-up; from epoch 2 its best (0.3) beats the median → runs on
    ]
    expect(play(median, curves, 5)).toEqual([null, null, null, 2, null, 2, null])
  })

  it('waits for enough finished trials and for the warm-up, and never stops a trial at its last epoch', () => {
    const bad = [9, 9, 9]
    expect(play(median, [[1, 1, 1], [1, 1, 1], bad], 3)).toEqual([null, null, null])
    const warm = pruningSchema.parse({ rule: 'median', warmupEpochs: 2, minTrials: 1 })
    expect(
      play(
        warm,
        [
          [1, 1, 1, 1],
          [9, 9, 9, 9],
        ],
        4,
      ),
    ).toEqual([null, 3])
    expect(
      play(
        warm,
        [
          [1, 1, 1],
          [9, 9, 9],
        ],
        3,
      ),
    ).toEqual([null, null])
  })

  it('stops a trial whose objective is no longer a number, whatever the rule', () => {
    expect(shouldPrune({ rule: 'none' }, { values: [0.5, NaN], finished: false }, 2, [], 5)).toEqual({
      prune: true,
      reason: 'the objective became NaN at epoch 2',
    })
    expect(shouldPrune({ rule: 'none' }, { values: [0.5, 0.4], finished: false }, 2, [], 5).prune).toBe(false)
  })
})

describe('successive halving (ASHA)', () => {
  it('puts rungs at r, rη, rη² below the last epoch', () => {
    expect(ashaRungs(1, 3, 9)).toEqual([1, 3])
    expect(ashaRungs(1, 3, 10)).toEqual([1, 3, 9])
    expect(ashaRungs(2, 2, 20)).toEqual([2, 4, 8, 16])
  })

  it('lets only the best third of the trials at each rung go on', () => {
    // 9 epochs: rungs at 1 and 3. Epoch-1 values decide rung 1; epoch-3 values rung 3.
    const curves = [
      [0.5, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], // first at rung 1 (rank 1 of 1) and rung 3 → runs to the end
      [0.6, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4], // rung 1: rank 2 of 2, best 0 → floor(2/3)=0 → 1 go on → stopped at 1
      [0.4, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2], // rung 1: rank 1 of 3 → on; rung 3: rank 1 of 2 → on
      [0.45, 0.4, 0.35, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], // rung 1: rank 2 of 4, 1 go on → stopped at 1
      [0.3, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2], // rung 1: rank 1 of 5 → on; rung 3: 0.25 rank 2 of 3, 1 go on → stopped at 3
      [0.35, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], // rung 1: rank 2 of 6, 2 go on → on; rung 3: 0.1 rank 1 of 4 → on
    ]
    expect(play(asha, curves, 9)).toEqual([null, 1, null, 1, 3, null])
  })

  it('names the rung and the rank when it stops a trial', () => {
    const others: TrialCurve[] = [
      { values: [0.1], finished: false },
      { values: [0.2], finished: false },
    ]
    expect(shouldPrune(asha, { values: [0.3], finished: false }, 1, others, 9)).toEqual({
      prune: true,
      reason: 'successive halving at epoch 1 (rank 3 of 3; the best 1 go on)',
    })
    expect(shouldPrune(asha, { values: [0.3, 0.2], finished: false }, 2, others, 9).prune).toBe(false)
  })
})
