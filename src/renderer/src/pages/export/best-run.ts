/**
 * Which completed run the Export page offers first: the best on the validation split (highest accuracy for
 * a classifier, lowest loss otherwise), so a newer but worse run, a fold or a sweep trial that happens to be
 * last is not the default. Chosen on validation, not test, so the test score stays an honest estimate.
 */
import type { RunSummary } from '../../../../shared/training'

type Scored = Pick<RunSummary, 'id' | 'name' | 'latest' | 'finishedAt' | 'createdAt'>

export function bestRun<R extends Scored>(
  runs: readonly R[],
  percent: (x: number) => string,
): { run: R; reason: string } | null {
  if (runs.length === 0) return null
  const of = runs.length === 1 ? 'the only completed run' : `of ${runs.length} completed runs`
  const byAcc = runs.filter((r) => typeof r.latest.val_accuracy === 'number')
  if (byAcc.length > 0) {
    const best = byAcc.reduce((a, b) => (b.latest.val_accuracy! > a.latest.val_accuracy! ? b : a))
    return {
      run: best,
      reason: runs.length === 1 ? of : `the best validation accuracy (${percent(best.latest.val_accuracy!)}) ${of}`,
    }
  }
  const byLoss = runs.filter((r) => typeof r.latest.val_loss === 'number')
  if (byLoss.length > 0) {
    const best = byLoss.reduce((a, b) => (b.latest.val_loss! < a.latest.val_loss! ? b : a))
    return {
      run: best,
      reason: runs.length === 1 ? of : `the lowest validation loss (${best.latest.val_loss!.toPrecision(3)}) ${of}`,
    }
  }
  const newest = runs.reduce((a, b) => ((b.finishedAt ?? b.createdAt) > (a.finishedAt ?? a.createdAt) ? b : a))
  return { run: newest, reason: runs.length === 1 ? of : `the newest ${of} (none has a validation score)` }
}
