import { describe, expect, it } from 'vitest'
import { bestRun } from './best-run'

const run = (
  name: string,
  latest: Record<string, number | null>,
  finishedAt: number,
): { id: string; name: string; latest: Record<string, number | null>; finishedAt: number; createdAt: number } => ({
  id: name,
  name,
  latest,
  finishedAt,
  createdAt: finishedAt - 10,
})
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`

describe('the run Export offers first', () => {
  it('is the best on validation, not the newest', () => {
    const runs = [
      run('Run 3', { val_accuracy: 0.81 }, 30),
      run('Run 2', { val_accuracy: 0.93 }, 20),
      run('Run 1', { val_accuracy: 0.9 }, 10),
    ]
    expect(bestRun(runs, pct)).toEqual({
      run: runs[1],
      reason: 'the best validation accuracy (93.0 %) of 3 completed runs',
    })
  })

  it('uses the lowest validation loss for regression, and says when it can only take the newest', () => {
    const reg = [run('A', { val_loss: 0.5 }, 1), run('B', { val_loss: 0.2 }, 2), run('C', { val_loss: 0.9 }, 3)]
    expect(bestRun(reg, pct)?.run.name).toBe('B')
    expect(bestRun(reg, pct)?.reason).toBe('the lowest validation loss (0.200) of 3 completed runs')
    const none = [run('A', {}, 1), run('B', {}, 2)]
    expect(bestRun(none, pct)).toEqual({
      run: none[1],
      reason: 'the newest of 2 completed runs (none has a validation score)',
    })
    expect(bestRun([], pct)).toBeNull()
    expect(bestRun([none[0]!], pct)?.reason).toBe('the only completed run')
  })
})
