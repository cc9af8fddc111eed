/**
 * Search strategies over a sweep's space. Grid enumerates the cartesian product; random samples each
 * parameter independently from the seed; TPE (the tree-structured Parzen estimator of Bergstra et al.,
 * 2011, as Optuna implements it by default: independent per parameter) starts with random trials and then
 * proposes the candidate that maximises l(x)/g(x), where l and g are Parzen estimators fitted to the best
 * γ of the finished trials and to the rest.
 *
 * No maintained JavaScript TPE exists on npm (the hyperopt and Optuna implementations are Python), so it is
 * written here, with tests on the Branin function.
 */
import { gridValues, type ParamValue, type SweepParam, type TrialParams } from '../../../shared/sweep'

export { gridSize, gridValues, spaceProblem } from '../../../shared/sweep'

export type Random = () => number

/** The grid's i-th point, the last parameter varying fastest. */
export function gridPoint(space: SweepParam[], index: number): TrialParams {
  const out: TrialParams = {}
  let rest = index
  for (let k = space.length - 1; k >= 0; k--) {
    const values = gridValues(space[k]!)
    out[space[k]!.path] = values[rest % values.length]!
    rest = Math.floor(rest / values.length)
  }
  return Object.fromEntries(space.map((p) => [p.path, out[p.path]!]))
}

function sampleOne(p: SweepParam, random: Random): ParamValue {
  switch (p.kind) {
    case 'categorical':
      return p.choices[Math.min(p.choices.length - 1, Math.floor(random() * p.choices.length))]!
    case 'int': {
      const steps = Math.floor((p.high - p.low) / p.step)
      return p.low + Math.min(steps, Math.floor(random() * (steps + 1))) * p.step
    }
    case 'float':
      return p.log
        ? Math.exp(Math.log(p.low) + random() * (Math.log(p.high) - Math.log(p.low)))
        : p.low + random() * (p.high - p.low)
  }
}

export function randomPoint(space: SweepParam[], random: Random): TrialParams {
  return Object.fromEntries(space.map((p) => [p.path, sampleOne(p, random)]))
}

// ---- TPE -------------------------------------------------------------------------------------------

export interface Observation {
  params: TrialParams
  /** The objective, oriented so that lower is better. */
  loss: number
}

export interface TpeOptions {
  /** Random trials before TPE takes over. */
  startupTrials: number
  /** Candidates drawn from l(x) per proposal. */
  candidates: number
  /** Share of the trials that count as good: γ(n) = min(ceil(gamma·n), 25). */
  gamma: number
}

export const tpeDefaults: TpeOptions = { startupTrials: 10, candidates: 24, gamma: 0.1 }

const sqrt2pi = Math.sqrt(2 * Math.PI)

function normalPdf(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma
  return Math.exp(-0.5 * z * z) / (sigma * sqrt2pi)
}

function normalCdf(x: number): number {
  // Abramowitz & Stegun 7.1.26 through erf.
  const t = 1 / (1 + 0.3275911 * Math.abs(x / Math.SQRT2))
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2)
  return 0.5 * (1 + (x >= 0 ? y : -y))
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

/** A truncated-Gaussian mixture on [low, high]: the observations plus a broad prior, as Optuna's Parzen estimator. */
class Parzen {
  readonly mus: number[]
  readonly sigmas: number[]
  readonly weights: number[]

  constructor(
    points: number[],
    private readonly low: number,
    private readonly high: number,
  ) {
    const range = high - low || 1
    const mus = [...points, (low + high) / 2]
    const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!)
    const sorted = order.map((i) => mus[i]!)
    const sigmas = new Array<number>(mus.length)
    sorted.forEach((m, k) => {
      const left = k > 0 ? m - sorted[k - 1]! : m - low
      const right = k < sorted.length - 1 ? sorted[k + 1]! - m : high - m
      sigmas[order[k]!] = Math.max(left, right)
    })
    // The prior is as wide as the range; the others are clipped between range/min(100, n+1) and the range.
    const minSigma = range / Math.min(100, mus.length + 1)
    for (let i = 0; i < mus.length; i++)
      sigmas[i] = i === mus.length - 1 ? range : Math.min(range, Math.max(minSigma, sigmas[i]!))
    this.mus = mus
    this.sigmas = sigmas
    this.weights = mus.map(() => 1 / mus.length)
  }

  sample(random: Random): number {
    let r = random()
    let k = 0
    while (k < this.weights.length - 1 && r >= this.weights[k]!) r -= this.weights[k++]!
    for (let attempt = 0; attempt < 100; attempt++) {
      const x = this.mus[k]! + this.sigmas[k]! * gaussian(random)
      if (x >= this.low && x <= this.high) return x
    }
    return Math.min(this.high, Math.max(this.low, this.mus[k]!))
  }

  logDensity(x: number): number {
    let p = 0
    for (let k = 0; k < this.mus.length; k++) {
      const mass =
        normalCdf((this.high - this.mus[k]!) / this.sigmas[k]!) - normalCdf((this.low - this.mus[k]!) / this.sigmas[k]!)
      p += (this.weights[k]! * normalPdf(x, this.mus[k]!, this.sigmas[k]!)) / Math.max(mass, 1e-12)
    }
    return Math.log(Math.max(p, 1e-300))
  }
}

/** Numeric parameters are modelled on their own scale (log for log-uniform), ints widened by half a step. */
function numericScale(p: Extract<SweepParam, { kind: 'float' | 'int' }>): {
  low: number
  high: number
  to: (v: number) => number
  from: (x: number) => number
} {
  if (p.kind === 'int') {
    return {
      low: p.low - p.step / 2,
      high: p.high + p.step / 2,
      to: (v) => v,
      from: (x) => Math.min(p.high, Math.max(p.low, p.low + Math.round((x - p.low) / p.step) * p.step)),
    }
  }
  if (p.log) return { low: Math.log(p.low), high: Math.log(p.high), to: Math.log, from: Math.exp }
  return { low: p.low, high: p.high, to: (v) => v, from: (x) => x }
}

/** Proposes the next trial's parameters. Falls back to random sampling during the start-up trials. */
export function tpePropose(
  space: SweepParam[],
  history: Observation[],
  random: Random,
  options: TpeOptions = tpeDefaults,
): TrialParams {
  const usable = history.filter((h) => Number.isFinite(h.loss))
  if (usable.length < options.startupTrials) return randomPoint(space, random)
  const sorted = [...usable].sort((a, b) => a.loss - b.loss)
  const nGood = Math.min(Math.ceil(options.gamma * sorted.length), 25)
  const good = sorted.slice(0, Math.max(1, nGood))
  const bad = sorted.slice(Math.max(1, nGood))
  const out: TrialParams = {}
  for (const p of space) {
    if (p.kind === 'categorical') {
      // Counts with a prior of one per choice; candidates drawn from l, scored by l/g.
      const weightsOf = (group: Observation[]): number[] => {
        const counts = p.choices.map(() => 1)
        for (const h of group) {
          const k = p.choices.findIndex((c) => c === h.params[p.path])
          if (k >= 0) counts[k]!++
        }
        const total = counts.reduce((a, b) => a + b, 0)
        return counts.map((c) => c / total)
      }
      const l = weightsOf(good)
      const g = weightsOf(bad)
      let best = 0
      let bestScore = -Infinity
      for (let c = 0; c < options.candidates; c++) {
        let r = random()
        let k = 0
        while (k < l.length - 1 && r >= l[k]!) r -= l[k++]!
        const score = Math.log(l[k]!) - Math.log(g[k]!)
        if (score > bestScore) {
          bestScore = score
          best = k
        }
      }
      out[p.path] = p.choices[best]!
      continue
    }
    const scale = numericScale(p)
    const values = (group: Observation[]): number[] =>
      group
        .map((h) => h.params[p.path])
        .filter((v): v is number => typeof v === 'number')
        .map(scale.to)
    const l = new Parzen(values(good), scale.low, scale.high)
    const g = new Parzen(values(bad), scale.low, scale.high)
    let best = l.sample(random)
    let bestScore = -Infinity
    for (let c = 0; c < options.candidates; c++) {
      const x = c === 0 ? best : l.sample(random)
      const score = l.logDensity(x) - g.logDensity(x)
      if (score > bestScore) {
        bestScore = score
        best = x
      }
    }
    out[p.path] = scale.from(best)
  }
  return out
}
