/**
 * Sweeps, on the main-process side. A sweep proposes trials (grid, random or TPE), runs each as an
 * ordinary run linked to it — one after another, or several at once (`parallel`: on a Slurm cluster, jobs
 * in the queue together; TPE then proposes from the trials finished so far) — watches every epoch for the pruning rule,
 * and records why each trial ended. Everything is in SQLite: closing or crashing the app leaves the sweep
 * "running" with its current trial's run interrupted; on the next start the sweep resumes that run from its
 * checkpoint and goes on, never repeating a finished trial. Proposals come from a seed per trial number,
 * so a resumed sweep proposes what the uninterrupted one would have.
 */
import { randomUUID } from 'node:crypto'
import type { StartRunInput } from '../../../shared/contract'
import type { ModelSpec } from '../../../shared/model/types'
import type {
  PruningRule,
  SweepBudget,
  SweepDetail,
  SweepObjective,
  SweepParam,
  SweepStatus,
  SweepStrategy,
  SweepSummary,
  SweepTrial,
  TrialParams,
  TrialState,
} from '../../../shared/sweep'
import { applyTrialParams, pathProblem } from '../../../shared/sweep-apply'
import type { HyperparametersInput } from '../../../shared/training'
import type { DatasetsService } from '../datasets/datasets-service'
import { seededRandom } from '../datasets/split'
import { AppError, notFound } from '../errors'
import type { EventBus } from '../events'
import type { Db } from '../store/database'
import type { TrainingService } from '../training/training-service'
import type { RunRecords } from '../training/run-records'
import { shouldPrune, type TrialCurve } from './pruning'
import { gridPoint, gridSize, randomPoint, spaceProblem, tpeDefaults, tpePropose } from './search'
import { messageOf } from '../../../shared/messages'

export interface StartSweepInput {
  projectId: string
  name?: string
  spec: ModelSpec
  hyperparameters?: HyperparametersInput
  seed?: number
  datasetVersionId?: string
  engine?: StartRunInput['engine']
  /** A cluster profile: every trial is a Slurm job there. */
  target?: string
  /** Trials trained at once (default 1). */
  parallel?: number
  space: SweepParam[]
  strategy: SweepStrategy
  objective: SweepObjective
  budget: SweepBudget
  pruning: PruningRule
}

interface SweepRow {
  id: string
  project_id: string
  name: string
  base_json: string
  space_json: string
  strategy: SweepStrategy
  objective_json: string
  budget_json: string
  pruning_json: string
  seed: number
  status: SweepStatus
  status_reason: string | null
  elapsed_ms: number
  created_at: number
  finished_at: number | null
}

interface TrialRow {
  sweep_id: string
  number: number
  params_json: string
  run_id: string | null
  state: TrialState
  objective: number | null
  curve_json: string
  ended_reason: string | null
  started_at: number
  finished_at: number | null
}

type Base = Omit<StartRunInput, 'name'> & { parallel?: number }

/** A sweep's stored settings, read from its row. */
interface Settings {
  base: Base
  space: SweepParam[]
  objective: SweepObjective
  budget: SweepBudget
  pruning: PruningRule
  /** The objective oriented so that lower is better (search and pruning work that way); null is NaN. */
  toLoss: (value: number | null) => number
}

function settings(r: SweepRow): Settings {
  const objective = JSON.parse(r.objective_json) as SweepObjective
  const sign = objective.direction === 'maximize' ? -1 : 1
  return {
    base: JSON.parse(r.base_json) as Base,
    space: JSON.parse(r.space_json) as SweepParam[],
    objective,
    budget: JSON.parse(r.budget_json) as SweepBudget,
    pruning: JSON.parse(r.pruning_json) as PruningRule,
    toLoss: (value) => (value === null ? NaN : sign * value),
  }
}

export class SweepService {
  private readonly driving = new Map<string, Promise<void>>()
  private closing = false

  constructor(
    private readonly db: Db,
    private readonly training: TrainingService,
    private readonly runs: RunRecords,
    private readonly datasets: DatasetsService,
    private readonly events: EventBus,
    private readonly now: () => number = Date.now,
  ) {}

  private row(id: string): SweepRow {
    const r = this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(id) as SweepRow | undefined
    if (!r) throw notFound('Sweep', id)
    return r
  }

  private trials(id: string): TrialRow[] {
    return this.db.prepare('SELECT * FROM sweep_trials WHERE sweep_id = ? ORDER BY number').all(id) as TrialRow[]
  }

  private changed(r: SweepRow): void {
    this.events.emit('sweeps.changed', { sweepId: r.id, projectId: r.project_id, status: this.row(r.id).status })
  }

  // ---- reading ---------------------------------------------------------------------------------------

  private summary(r: SweepRow, trials = this.trials(r.id)): SweepSummary {
    const { space, objective, budget, pruning, toLoss, base } = settings(r)
    const counts: Record<TrialState, number> = { running: 0, completed: 0, pruned: 0, failed: 0, stopped: 0 }
    for (const t of trials) counts[t.state]++
    const best = trials
      .filter((t) => t.state === 'completed' && t.objective !== null)
      .sort((a, b) => toLoss(a.objective) - toLoss(b.objective))[0]
    const grid = r.strategy === 'grid' ? gridSize(space) : null
    const live = this.driving.has(r.id) && r.status === 'running'
    return {
      id: r.id,
      projectId: r.project_id,
      name: r.name,
      parallel: base.parallel ?? 1,
      target: base.target ?? null,
      space,
      strategy: r.strategy,
      objective,
      budget,
      pruning,
      seed: r.seed,
      status: r.status,
      statusReason: r.status_reason,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
      elapsedSeconds: Math.round(
        (r.elapsed_ms + (live ? this.now() - (this.segmentStart.get(r.id) ?? this.now()) : 0)) / 1000,
      ),
      counts,
      plannedTrials: grid !== null ? Math.min(grid, budget.trials ?? grid) : budget.trials,
      best: best
        ? {
            number: best.number,
            objective: best.objective!,
            params: JSON.parse(best.params_json) as TrialParams,
            runId: best.run_id,
          }
        : null,
    }
  }

  private trial(t: TrialRow): SweepTrial {
    const runName = t.run_id ? this.runs.name(t.run_id) : null
    return {
      number: t.number,
      params: JSON.parse(t.params_json) as TrialParams,
      runId: t.run_id,
      runName,
      job: t.run_id ? this.runs.target(t.run_id) : null,
      state: t.state,
      objective: t.objective,
      endedReason: t.ended_reason,
      curve: JSON.parse(t.curve_json) as Array<number | null>,
      startedAt: t.started_at,
      finishedAt: t.finished_at,
    }
  }

  list(projectId: string): SweepSummary[] {
    return (
      this.db.prepare('SELECT * FROM sweeps WHERE project_id = ? ORDER BY created_at DESC').all(projectId) as SweepRow[]
    ).map((r) => this.summary(r))
  }

  get(id: string): SweepDetail {
    const r = this.row(id)
    const trials = this.trials(id)
    const summary = this.summary(r, trials)
    const { base } = settings(r)
    return {
      ...summary,
      base: { spec: base.spec, hyperparameters: base.hyperparameters ?? {} },
      trials: trials.map((t) => this.trial(t)),
      importance: importance(summary.space, trials),
    }
  }

  // ---- starting and control --------------------------------------------------------------------------

  start(input: StartSweepInput): SweepSummary {
    const problem =
      spaceProblem(input.space, input.strategy) ??
      input.space.map((p) => pathProblem(p.path, input.spec)).find((x) => x !== null) ??
      null
    if (problem) throw new AppError('INVALID_ARGUMENT', problem, 'space')
    if (input.strategy !== 'grid' && input.budget.trials === null && input.budget.minutes === null) {
      throw new AppError(
        'INVALID_ARGUMENT',
        'Give a number of trials, a time limit, or both: random and TPE search go on until told to stop',
        'budget',
      )
    }
    const dataset = this.datasets.forProject(input.projectId)
    if (!dataset)
      throw new AppError('INVALID_STATE', 'This project has no data yet: import some on the Data page first')
    // Every trial trains on the same frozen data.
    const version = input.datasetVersionId
      ? this.datasets.version(input.datasetVersionId)
      : this.datasets.freezeVersion(dataset.id)
    const seed = input.seed ?? Math.floor(Math.random() * 2 ** 31)
    const base: Base = {
      projectId: input.projectId,
      spec: input.spec,
      hyperparameters: input.hyperparameters ?? {},
      seed,
      datasetVersionId: version.id,
      ...(input.engine ? { engine: input.engine } : {}),
      ...(input.target ? { target: input.target } : {}),
      ...(input.parallel && input.parallel > 1 ? { parallel: input.parallel } : {}),
    }
    const id = randomUUID()
    const { n } = this.db.prepare('SELECT count(*) AS n FROM sweeps WHERE project_id = ?').get(input.projectId) as {
      n: number
    }
    this.db
      .prepare(
        `INSERT INTO sweeps (id, project_id, name, base_json, space_json, strategy, objective_json, budget_json, pruning_json, seed, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)`,
      )
      .run(
        id,
        input.projectId,
        input.name ?? `Sweep ${n + 1}`,
        JSON.stringify(base),
        JSON.stringify(input.space),
        input.strategy,
        JSON.stringify(input.objective),
        JSON.stringify(input.budget),
        JSON.stringify(input.pruning),
        seed,
        this.now(),
      )
    this.drive(id)
    return this.summary(this.row(id))
  }

  /** Pausing lets the current trial finish and starts no new one. */
  pause(id: string): SweepSummary {
    const r = this.row(id)
    if (r.status !== 'running')
      throw new AppError('INVALID_STATE', `Only a running sweep can be paused; this one is ${r.status}`)
    this.setStatus(id, 'paused', 'Paused: the current trial finishes, no new one starts')
    return this.summary(this.row(id))
  }

  resume(id: string): SweepSummary {
    const r = this.row(id)
    if (r.status !== 'paused')
      throw new AppError('INVALID_STATE', `Only a paused sweep can be resumed; this one is ${r.status}`)
    this.setStatus(id, 'running', null)
    this.drive(id)
    return this.summary(this.row(id))
  }

  /** Stops the sweep and its running trial. */
  stop(id: string): SweepSummary {
    const r = this.row(id)
    if (r.status !== 'running' && r.status !== 'paused')
      throw new AppError('INVALID_STATE', `This sweep has already ended (${r.status})`)
    this.setStatus(id, 'stopped', 'Stopped by the user', true)
    for (const current of this.trials(id).filter((t) => t.state === 'running')) {
      if (!current.run_id) continue
      try {
        this.training.stop(current.run_id, `Stopped with ${r.name}`)
      } catch {
        // The run has already ended; the trial is closed below.
      }
    }
    return this.summary(this.row(id))
  }

  async whenDone(id: string): Promise<SweepDetail> {
    await this.driving.get(id)
    return this.get(id)
  }

  /** At start-up: sweeps left running by a closed or crashed app go on where they stopped. */
  recoverInterrupted(): void {
    for (const r of this.db.prepare("SELECT id FROM sweeps WHERE status = 'running'").all() as Array<{ id: string }>)
      this.drive(r.id)
  }

  /**
   * For closing the app: start no more trials, end the training processes (their runs become interrupted)
   * and leave the sweeps as they are, to resume next time.
   */
  async closeAll(stopTraining: () => Promise<void>): Promise<void> {
    this.closing = true
    await stopTraining()
    await Promise.all(this.driving.values())
  }

  private setStatus(id: string, status: SweepStatus, reason: string | null, finished = false): void {
    this.db
      .prepare('UPDATE sweeps SET status = ?, status_reason = ?, finished_at = ? WHERE id = ?')
      .run(status, reason, finished ? this.now() : null, id)
    this.changed(this.row(id))
  }

  // ---- running ---------------------------------------------------------------------------------------

  private readonly segmentStart = new Map<string, number>()

  private drive(id: string): void {
    if (this.driving.has(id)) return
    const work = this.loop(id)
      .catch((err: unknown) => {
        if (this.closing) return
        this.setStatus(id, 'failed', messageOf(err), true)
      })
      .finally(() => {
        this.saveElapsed(id)
        this.segmentStart.delete(id)
        this.driving.delete(id)
      })
    this.driving.set(id, work)
  }

  private saveElapsed(id: string): void {
    const start = this.segmentStart.get(id)
    if (start === undefined) return
    const now = this.now()
    this.db.prepare('UPDATE sweeps SET elapsed_ms = elapsed_ms + ? WHERE id = ?').run(now - start, id)
    this.segmentStart.set(id, now)
  }

  /**
   * Keeps up to `parallel` trials going: trials left running (by a restart too) are followed, new ones
   * started while the budget allows; each time one ends, the next is proposed from those finished.
   */
  private async loop(id: string): Promise<void> {
    this.segmentStart.set(id, this.now())
    const going = new Map<number, Promise<void>>()
    const follow = (number: number, work: Promise<void>): void => {
      going.set(
        number,
        work.finally(() => going.delete(number)),
      )
    }
    try {
      for (;;) {
        if (this.closing) return
        const r = this.row(id)
        const parallel = settings(r).base.parallel ?? 1
        const trials = this.trials(id)
        for (const t of trials)
          if (t.state === 'running' && !going.has(t.number)) follow(t.number, this.continueTrial(r, t))
        // Paused or stopped: the trials going finish (a stop has asked them to), no new one starts.
        if (r.status !== 'running') {
          if (going.size === 0) return
          await Promise.race(going.values())
          continue
        }
        if (going.size >= parallel) {
          await Promise.race(going.values())
          continue
        }
        const { budget, space } = settings(r)
        this.saveElapsed(id)
        const elapsedMinutes = this.row(id).elapsed_ms / 60_000
        const ended =
          budget.trials !== null && trials.length >= budget.trials
            ? `Ran ${trials.length} trials, the budget`
            : budget.minutes !== null && elapsedMinutes >= budget.minutes
              ? `Used the ${budget.minutes}-minute budget after ${trials.length} trials`
              : r.strategy === 'grid' && trials.length >= gridSize(space)
                ? `Tried all ${trials.length} points of the grid`
                : null
        if (ended) {
          if (going.size > 0) {
            await Promise.race(going.values())
            continue
          }
          return this.setStatus(id, 'completed', ended, true)
        }
        const number = trials.length + 1
        const params = this.propose(r, trials)
        // Recorded before the loop goes on, so the next proposal counts it.
        this.insertTrial(r, number, params)
        follow(number, this.startTrial(r, number, params))
      }
    } finally {
      await Promise.allSettled(going.values())
    }
  }

  /** The parameters of trial `number`, drawn from a seed of its own so a resumed sweep proposes the same. */
  private propose(r: SweepRow, trials: TrialRow[]): TrialParams {
    const { space, budget, toLoss } = settings(r)
    const number = trials.length + 1
    if (r.strategy === 'grid') return gridPoint(space, number - 1)
    const random = seededRandom((r.seed * 7919 + number) % 2 ** 31)
    if (r.strategy === 'random') return randomPoint(space, random)
    const history = trials
      .filter((t) => (t.state === 'completed' || t.state === 'pruned') && t.objective !== null)
      .map((t) => ({ params: JSON.parse(t.params_json) as TrialParams, loss: toLoss(t.objective) }))
    // Optuna's 10 random start-up trials, fewer for a small budget so TPE still gets to learn: a third of it, at least 3.
    const startupTrials =
      budget.trials === null
        ? tpeDefaults.startupTrials
        : Math.max(3, Math.min(tpeDefaults.startupTrials, Math.floor(budget.trials / 3)))
    return tpePropose(space, history, random, { ...tpeDefaults, startupTrials })
  }

  private insertTrial(r: SweepRow, number: number, params: TrialParams): void {
    this.db
      .prepare(
        "INSERT INTO sweep_trials (sweep_id, number, params_json, state, started_at) VALUES (?, ?, ?, 'running', ?)",
      )
      .run(r.id, number, JSON.stringify(params), this.now())
    this.changed(r)
  }

  private async startTrial(r: SweepRow, number: number, params: TrialParams): Promise<void> {
    const { parallel: _parallel, ...base } = settings(r).base
    const applied = applyTrialParams(base.spec, base.hyperparameters ?? {}, params)
    let runId: string
    try {
      const run = await this.training.start({ ...base, ...applied, name: `${r.name} · trial ${number}` }, null, r.id)
      runId = run.id
    } catch (err) {
      // An impossible combination (say, a layer left out that the next one needs) fails this trial only.
      this.endTrial(r, number, 'failed', null, messageOf(err))
      return
    }
    this.db.prepare('UPDATE sweep_trials SET run_id = ? WHERE sweep_id = ? AND number = ?').run(runId, r.id, number)
    await this.watch(r, number, runId)
  }

  private async continueTrial(r: SweepRow, t: TrialRow): Promise<void> {
    if (!t.run_id)
      return this.endTrial(r, t.number, 'failed', null, 'The trial had not started its run when ModelBench closed')
    const run = this.training.get(t.run_id)
    if (run.status === 'interrupted') this.training.resume(t.run_id)
    else if (run.status === 'completed' || run.status === 'stopped' || run.status === 'failed')
      return this.finishTrial(r, t.number, t.run_id, null)
    await this.watch(r, t.number, t.run_id)
  }

  /** Follows a trial's run epoch by epoch, applying the pruning rule, until it ends. */
  private async watch(r: SweepRow, number: number, runId: string): Promise<void> {
    const { objective, pruning, toLoss } = settings(r)
    let pruned: string | null = null
    const unsubscribe = this.events.on('training.epochEnded', (e) => {
      if (pruned !== null || e.runId !== runId) return
      const curve = this.recordCurve(r.id, number, runId, objective.metric)
      const others = this.trials(r.id)
        .filter((t) => t.number !== number)
        .map((t): TrialCurve => ({
          values: (JSON.parse(t.curve_json) as Array<number | null>).map(toLoss),
          finished: t.state === 'completed',
        }))
      const decision = shouldPrune(pruning, { values: curve.map(toLoss), finished: false }, e.epoch, others, e.epochs)
      if (decision.prune) {
        pruned = decision.reason
        try {
          this.training.stop(runId, `Pruned by ${r.name}: ${decision.reason}`)
        } catch {
          // It ended on its own meanwhile.
        }
      }
    })
    try {
      await this.training.whenDone(runId)
    } finally {
      unsubscribe()
    }
    // Closing: a local run is interrupted, a cluster run goes on; both are followed again next start.
    if (this.closing && !['completed', 'stopped', 'failed'].includes(this.training.get(runId).status)) return
    this.finishTrial(r, number, runId, pruned)
  }

  /** The trial's objective metric after each epoch, read from the run's recorded metrics. */
  private recordCurve(sweepId: string, number: number, runId: string, metric: string): Array<number | null> {
    const curve = (this.runs.metrics(runId, [metric])[metric] ?? []).map((p) => p.value)
    this.db
      .prepare('UPDATE sweep_trials SET curve_json = ? WHERE sweep_id = ? AND number = ?')
      .run(JSON.stringify(curve), sweepId, number)
    return curve
  }

  private finishTrial(r: SweepRow, number: number, runId: string, pruned: string | null): void {
    const { objective } = settings(r)
    const curve = this.recordCurve(r.id, number, runId, objective.metric).filter(
      (v): v is number => v !== null && Number.isFinite(v),
    )
    const best =
      curve.length === 0 ? null : objective.direction === 'maximize' ? Math.max(...curve) : Math.min(...curve)
    const run = this.training.get(runId)
    if (pruned) return this.endTrial(r, number, 'pruned', best, `Pruned: ${pruned}`)
    if (run.status === 'completed') return this.endTrial(r, number, 'completed', best, run.statusReason ?? 'Completed')
    if (run.status === 'stopped') return this.endTrial(r, number, 'stopped', best, run.statusReason ?? 'Stopped')
    this.endTrial(r, number, 'failed', best, run.statusReason ?? `The run ended ${run.status}`)
  }

  private endTrial(r: SweepRow, number: number, state: TrialState, objective: number | null, reason: string): void {
    this.db
      .prepare(
        'UPDATE sweep_trials SET state = ?, objective = ?, ended_reason = ?, finished_at = ? WHERE sweep_id = ? AND number = ?',
      )
      .run(state, objective, reason, this.now(), r.id, number)
    this.saveElapsed(r.id)
    this.changed(r)
  }
}

/**
 * How much each parameter matters: for each, the share of the objective's variance explained by its
 * values (the correlation ratio η² over its choices, or over four quantile bins of a numeric one), over
 * the completed and pruned trials. Cheap and honest for a few dozen trials; interactions are not counted.
 */
export function importance(space: SweepParam[], trials: TrialRow[]): SweepDetail['importance'] {
  const method =
    'Correlation ratio η²: the share of the objective’s variance explained by each setting alone (numbers in 4 quantile bins)'
  const rows = trials
    .filter((t) => t.objective !== null && (t.state === 'completed' || t.state === 'pruned'))
    .map((t) => ({ params: JSON.parse(t.params_json) as TrialParams, y: t.objective! }))
  if (rows.length < 3) return { method, values: [] }
  const mean = rows.reduce((a, r) => a + r.y, 0) / rows.length
  const total = rows.reduce((a, r) => a + (r.y - mean) ** 2, 0)
  const values = space.map((p) => {
    let key: (v: TrialParams[string]) => string
    if (p.kind === 'categorical') key = (v) => String(v)
    else {
      const sorted = rows.map((r) => Number(r.params[p.path])).sort((a, b) => a - b)
      const cuts = [0.25, 0.5, 0.75].map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!)
      key = (v) => String(cuts.filter((c) => Number(v) > c).length)
    }
    const groups = new Map<string, number[]>()
    for (const r of rows) groups.set(key(r.params[p.path]!), [...(groups.get(key(r.params[p.path]!)) ?? []), r.y])
    const between = [...groups.values()].reduce(
      (a, g) => a + g.length * (g.reduce((x, y) => x + y, 0) / g.length - mean) ** 2,
      0,
    )
    return { path: p.path, importance: total > 0 ? between / total : 0 }
  })
  return { method, values: values.sort((a, b) => b.importance - a.importance) }
}
