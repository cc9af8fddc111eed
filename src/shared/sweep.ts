/**
 * Hyperparameter sweeps as the contract carries them: a search space over training settings and layer
 * settings, a strategy (grid, random, TPE), an objective, a budget and a pruning rule. Each trial is an
 * ordinary run linked to its sweep.
 */
import { settingLabel } from './words'
import { z } from 'zod'
import type { ClusterJobInfo } from './cluster'

/**
 * What a parameter sets, as a path: `learningRate`, `batchSize`, `optimizer`, `epochs`,
 * `augmentation.rotation` (any hyperparameter), or `layers.<i>.<setting>` for a setting of layer i of
 * the architecture (`layers.3.units`, `layers.4.rate`), or `layers.<i>.present` for whether it is there.
 */
export const sweepParamSchema = z.discriminatedUnion('kind', [
  z
    .object({
      path: z.string().min(1).max(80),
      kind: z.literal('float'),
      low: z.number(),
      high: z.number(),
      /** Log-uniform (learning rates). */
      log: z.boolean().default(false),
      /** How many evenly spaced values a grid takes (log-spaced when log). */
      gridPoints: z.number().int().min(2).max(20).default(3),
    })
    .strict(),
  z
    .object({
      path: z.string().min(1).max(80),
      kind: z.literal('int'),
      low: z.number().int(),
      high: z.number().int(),
      step: z.number().int().min(1).default(1),
    })
    .strict(),
  z
    .object({
      path: z.string().min(1).max(80),
      kind: z.literal('categorical'),
      choices: z
        .array(z.union([z.string().max(40), z.number(), z.boolean()]))
        .min(1)
        .max(50),
    })
    .strict(),
])
export type SweepParam = z.infer<typeof sweepParamSchema>
export type ParamValue = string | number | boolean
export type TrialParams = Record<string, ParamValue>

export const sweepStrategies = ['grid', 'random', 'tpe'] as const
export type SweepStrategy = (typeof sweepStrategies)[number]

export const objectiveSchema = z
  .object({
    metric: z.enum(['val_accuracy', 'val_loss', 'accuracy', 'loss']).default('val_accuracy'),
    direction: z.enum(['maximize', 'minimize']).default('maximize'),
  })
  .strict()
export type SweepObjective = z.infer<typeof objectiveSchema>

export const pruningSchema = z.discriminatedUnion('rule', [
  z.object({ rule: z.literal('none') }).strict(),
  /** Stop a trial whose best value so far is worse than the median of earlier trials at the same epoch. */
  z
    .object({
      rule: z.literal('median'),
      /** Epochs every trial runs before it can be stopped. */
      warmupEpochs: z.number().int().min(0).max(100).default(1),
      /** Finished trials needed before any trial is stopped. */
      minTrials: z.number().int().min(1).max(100).default(3),
    })
    .strict(),
  /** Asynchronous successive halving: at epochs r, r·η, r·η², … only the best 1/η of the trials there go on. */
  z
    .object({
      rule: z.literal('asha'),
      minEpochs: z.number().int().min(1).max(100).default(1),
      reductionFactor: z.number().int().min(2).max(10).default(3),
    })
    .strict(),
])
export type PruningRule = z.infer<typeof pruningSchema>

/** A grid needs no budget (it runs all its points unless one is given); random and TPE need one. */
export const budgetSchema = z
  .object({
    trials: z.number().int().min(1).max(1000).nullable().default(null),
    minutes: z
      .number()
      .positive()
      .max(60 * 24 * 7)
      .nullable()
      .default(null),
  })
  .strict()
export type SweepBudget = z.infer<typeof budgetSchema>

export type SweepStatus = 'running' | 'paused' | 'completed' | 'stopped' | 'failed'
export type TrialState = 'running' | 'completed' | 'pruned' | 'failed' | 'stopped'

export interface SweepTrial {
  number: number
  params: TrialParams
  runId: string | null
  runName: string | null
  /** The trial's Slurm job, when the sweep runs on a cluster. */
  job: ClusterJobInfo | null
  state: TrialState
  /** The objective: the trial's best value of the metric over its epochs. */
  objective: number | null
  /** Why the trial ended (completed, "median rule at epoch 3", the error…). */
  endedReason: string | null
  /** The metric after each epoch. */
  curve: Array<number | null>
  startedAt: number
  finishedAt: number | null
}

export interface SweepSummary {
  id: string
  projectId: string
  name: string
  /** Trials trained at once. */
  parallel: number
  /** The cluster profile's id its trials train on; null on this computer. */
  target: string | null
  space: SweepParam[]
  strategy: SweepStrategy
  objective: SweepObjective
  budget: SweepBudget
  pruning: PruningRule
  seed: number
  status: SweepStatus
  statusReason: string | null
  createdAt: number
  finishedAt: number | null
  /** Wall time spent running, across restarts, in seconds. */
  elapsedSeconds: number
  counts: Record<TrialState, number>
  /** How many trials the budget allows (null when only time bounds it); a grid's size. */
  plannedTrials: number | null
  best: { number: number; objective: number; params: TrialParams; runId: string | null } | null
}

export interface SweepDetail extends SweepSummary {
  /** The settings every trial starts from, before its own values are applied. */
  base: { spec: import('./model/types').ModelSpec; hyperparameters: import('./training').HyperparametersInput }
  trials: SweepTrial[]
  /** Per parameter: how much of the objective's variation it explains (0–1), and how it was estimated. */
  importance: { method: string; values: Array<{ path: string; importance: number }> }
}

// ---- grids and checks, shared by the sweep editor and the core -----------------------------------

/** The values a parameter takes in a grid. */
export function gridValues(p: SweepParam): ParamValue[] {
  switch (p.kind) {
    case 'categorical':
      return [...p.choices]
    case 'int': {
      const out: number[] = []
      for (let v = p.low; v <= p.high; v += p.step) out.push(v)
      return out
    }
    case 'float': {
      const n = p.gridPoints
      return Array.from({ length: n }, (_, i) => {
        const t = i / (n - 1)
        const v = p.log
          ? Math.exp(Math.log(p.low) + t * (Math.log(p.high) - Math.log(p.low)))
          : p.low + t * (p.high - p.low)
        return Number(v.toPrecision(6))
      })
    }
  }
}

export function gridSize(space: SweepParam[]): number {
  return space.reduce((n, p) => n * gridValues(p).length, 1)
}

/** Checks a space before a sweep starts; returns the reason it cannot be searched, or null. */
export function spaceProblem(space: SweepParam[], strategy: 'grid' | 'random' | 'tpe'): string | null {
  if (space.length === 0) return 'The search space is empty: add at least one setting to vary'
  const seen = new Set<string>()
  for (const p of space) {
    if (seen.has(p.path)) return `${settingLabel(p.path)} appears twice in the search space`
    seen.add(p.path)
    if (p.kind === 'float' || p.kind === 'int') {
      if (!(p.low <= p.high))
        return `${settingLabel(p.path)}: the lowest value (${p.low}) is above the highest (${p.high})`
      if (p.kind === 'float' && p.log && p.low <= 0)
        return `${settingLabel(p.path)}: a log scale needs values above 0 (lowest is ${p.low})`
    }
    if (p.kind === 'categorical' && new Set(p.choices.map(String)).size !== p.choices.length)
      return `${settingLabel(p.path)}: a choice is listed twice`
  }
  if (strategy === 'grid' && gridSize(space) > 1000)
    return `The grid has ${gridSize(space).toLocaleString('en')} points; narrow it to 1,000 or fewer, or use random or TPE search`
  return null
}
