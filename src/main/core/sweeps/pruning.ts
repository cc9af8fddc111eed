/**
 * Trial pruning: after each epoch of a trial, should it stop? Values are oriented so lower is better
 * (a maximised metric is negated by the caller).
 *
 * - Median stopping rule (Golovin et al., 2017; Optuna's MedianPruner): after the warm-up epochs, and once
 *   `minTrials` trials have run to their end, stop a trial whose best value so far is worse than the
 *   median of those trials' best values up to the same epoch (pruned and running trials do not count).
 * - Asynchronous successive halving (ASHA; Li et al., 2018): rungs at epochs r, r·η, r·η², …; a trial that
 *   reaches a rung goes on only if its value there is among the best ⌊n/η⌋ (at least 1) of the n values
 *   recorded at that rung so far, its own included.
 */
import type { PruningRule } from '../../../shared/sweep'

export interface TrialCurve {
  /** Value after each epoch (index 0 = epoch 1), lower is better. */
  values: number[]
  /** Ran to its end (not pruned, not still running). */
  finished: boolean
}

export interface PruneDecision {
  prune: boolean
  /** Said when pruned: the rule and the epoch, e.g. "median rule at epoch 3 (0.412 vs median 0.380)". */
  reason: string | null
}

const keep: PruneDecision = { prune: false, reason: null }

function bestUpTo(values: number[], epoch: number): number | null {
  let best: number | null = null
  for (let i = 0; i < Math.min(epoch, values.length); i++)
    if (Number.isFinite(values[i]!) && (best === null || values[i]! < best)) best = values[i]!
  return best
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const fmt = (v: number): string => Number(v.toPrecision(4)).toString()

/** Rung epochs of ASHA: r, r·η, r·η², … below `maxEpochs`. */
export function ashaRungs(minEpochs: number, eta: number, maxEpochs: number): number[] {
  const rungs: number[] = []
  for (let r = minEpochs; r < maxEpochs; r *= eta) rungs.push(r)
  return rungs
}

/**
 * Decides for `current` after its `epoch`-th value. `others` are the sweep's other trials (finished or
 * still running), `maxEpochs` the trial's planned epochs.
 */
export function shouldPrune(
  rule: PruningRule,
  current: TrialCurve,
  epoch: number,
  others: TrialCurve[],
  maxEpochs: number,
): PruneDecision {
  const value = current.values[epoch - 1]
  if (value === undefined) return keep
  if (!Number.isFinite(value)) return { prune: true, reason: `the objective became ${value} at epoch ${epoch}` }
  switch (rule.rule) {
    case 'none':
      return keep
    case 'median': {
      if (epoch <= rule.warmupEpochs || epoch >= maxEpochs) return keep
      const finished = others.filter((o) => o.finished)
      if (finished.length < rule.minTrials) return keep
      const peers = finished.map((o) => bestUpTo(o.values, epoch)).filter((v): v is number => v !== null)
      const mine = bestUpTo(current.values, epoch)!
      const m = median(peers)
      return mine > m
        ? {
            prune: true,
            reason: `median rule at epoch ${epoch} (best so far ${fmt(mine)}, median of ${peers.length} trials ${fmt(m)})`,
          }
        : keep
    }
    case 'asha': {
      const rungs = ashaRungs(rule.minEpochs, rule.reductionFactor, maxEpochs)
      if (!rungs.includes(epoch)) return keep
      const atRung = [value, ...others.filter((o) => o.values.length >= epoch).map((o) => o.values[epoch - 1]!)].filter(
        (v) => Number.isFinite(v),
      )
      const promoted = Math.max(1, Math.floor(atRung.length / rule.reductionFactor))
      const rank = 1 + atRung.filter((v) => v < value).length
      return rank > promoted
        ? {
            prune: true,
            reason: `successive halving at epoch ${epoch} (rank ${rank} of ${atRung.length}; the best ${promoted} go on)`,
          }
        : keep
    }
  }
}
