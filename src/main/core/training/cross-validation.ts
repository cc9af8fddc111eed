/**
 * Cross-validation, a service above training (as sweeps are): a parent run and k fold runs on the same
 * frozen data, each fold tested on one stratified part and trained on the rest; the folds train one after
 * another (the cores are shared) and the parent sums them up as mean ± standard deviation. The parent's
 * resume, stop, re-run and delete come here (core.ts routes them); the folds are ordinary runs.
 */
import type { Split, StartRunInput } from '../../../shared/contract'
import type { CrossValidationSummary, Hyperparameters, RunStatus, RunSummary } from '../../../shared/training'
import type { DatasetsService } from '../datasets/datasets-service'
import { kfoldAssignment } from '../datasets/split'
import { AppError } from '../errors'
import type { EngineChoice } from '../../../shared/contract'
import type { RunRecords, RunRow } from './run-records'
import type { TrainingService } from './training-service'
import { storedSpec } from '../../../shared/model/registry'

export class CrossValidationService {
  /** Parents whose folds are being trained. */
  private readonly running = new Map<string, Promise<void>>()
  private readonly stopping = new Set<string>()
  /** Set when the app closes: the fold that trains is interrupted and the parent with it, to be resumed. */
  private closing = false

  constructor(
    private readonly records: RunRecords,
    private readonly training: TrainingService,
    private readonly datasets: DatasetsService,
  ) {
    training.splitsFor = (run) => this.foldSplits(run)
  }

  /** True when the run is the parent of a cross-validation (its resume, stop and re-run are handled here). */
  isParent(runId: string): boolean {
    return this.records.row(runId).folds !== null
  }

  /** A parent run and k child runs on the same frozen data, each child tested on one stratified fold. */
  async crossValidate(input: StartRunInput & { k: number }): Promise<RunSummary> {
    const seed = input.seed ?? Math.floor(Math.random() * 2 ** 31)
    const { k, ...start } = input
    const parentId = this.training.create({ ...start, seed }, null, { folds: k })
    const parent = this.records.row(parentId)
    this.records.update(parentId, { name: `${parent.name} · ${k}-fold cross-validation` })
    for (let fold = 0; fold < k; fold++) {
      this.training.create(
        {
          ...start,
          seed,
          datasetVersionId: parent.dataset_version_id,
          name: `${parent.name} · fold ${fold + 1} of ${k}`,
        },
        parentId,
        { fold },
      )
    }
    this.runInBackground(parentId, input.engine)
    return this.records.summary(this.records.row(parentId))
  }

  private runInBackground(parentId: string, engine?: EngineChoice): void {
    const pending = this.runFolds(parentId, engine).finally(() => this.running.delete(parentId))
    this.running.set(parentId, pending)
  }

  /** Trains the folds one after another, then sums them up on the parent. */
  private async runFolds(parentId: string, engine?: EngineChoice): Promise<void> {
    this.training.setStatus(parentId, 'running', null, { started: true })
    for (const child of this.records.children(parentId)) {
      if (this.stopping.has(parentId) || this.closing) break
      if (child.status === 'completed') continue
      if (child.status === 'interrupted') this.training.resume(child.id)
      else if (child.status === 'queued') this.training.launchInBackground(child.id, null, engine)
      else continue
      await this.training.whenDone(child.id)
      if (this.closing) break
    }
    if (this.closing) {
      this.training.setStatus(parentId, 'interrupted', 'ModelBench closed while this cross-validation was training', {
        finished: true,
      })
      return
    }
    const children = this.records.children(parentId)
    const stopped = this.stopping.delete(parentId)
    for (const c of children)
      if (c.status === 'queued')
        this.training.setStatus(c.id, 'stopped', 'Cross-validation stopped before this fold', { finished: true })
    const cv = this.summary(parentId)
    const done = cv.folds.filter((f) => f.status === 'completed').length
    const summary =
      cv.mean.testAccuracy !== undefined
        ? `test accuracy ${(cv.mean.testAccuracy * 100).toFixed(1)} % ± ${(cv.std.testAccuracy! * 100).toFixed(1)} over ${done} folds`
        : `${done} of ${children.length} folds completed`
    const status: RunStatus = stopped
      ? 'stopped'
      : done === children.length
        ? 'completed'
        : this.records.children(parentId).some((c) => c.status === 'interrupted')
          ? 'interrupted'
          : 'failed'
    this.training.setStatus(parentId, status, summary, { finished: true })
  }

  /** The parent, its folds, and the mean and standard deviation of the completed folds' figures. */
  summary(runId: string): CrossValidationSummary {
    const parent = this.records.row(runId)
    if (parent.folds === null) throw new AppError('INVALID_ARGUMENT', 'This run is not a cross-validation', 'runId')
    const folds = this.records.children(runId).map((c) => this.records.summary(c))
    const completed = folds.filter((f) => f.status === 'completed')
    const mean: Record<string, number> = {}
    const std: Record<string, number> = {}
    const collect = (key: string, get: (f: RunSummary) => number | null | undefined): void => {
      const xs = completed.map(get).filter((v): v is number => typeof v === 'number')
      if (xs.length === 0) return
      const m = xs.reduce((a, b) => a + b, 0) / xs.length
      mean[key] = m
      std[key] = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0
    }
    collect('testAccuracy', (f) => f.testAccuracy)
    for (const key of ['val_accuracy', 'val_loss', 'accuracy', 'loss']) collect(key, (f) => f.latest[key])
    return { parent: this.records.summary(parent), folds, mean, std }
  }

  /** The splits a fold trains with: its fold is the test split, the rest train. Null for other runs. */
  private foldSplits(child: RunRow): Split[] | null {
    if (child.fold === null || child.parent_run_id === null) return null
    const parent = this.records.row(child.parent_run_id)
    const rows = this.datasets.versionSamples(child.dataset_version_id)
    const folds = kfoldAssignment(
      rows.map((r) => ({ id: r.sampleId, hash: r.hash, group: r.classIndex ?? 'all' })),
      parent.folds!,
      parent.seed,
    )
    return rows.map((r) => (folds.get(r.sampleId) === child.fold ? 'test' : 'train'))
  }

  resume(parentId: string): RunSummary {
    if (this.running.has(parentId)) throw new AppError('INVALID_STATE', 'This cross-validation is still running')
    this.runInBackground(parentId)
    return this.records.summary(this.records.row(parentId))
  }

  /** Stops after the fold that is training (which is stopped too); the folds not started are marked stopped. */
  stop(parentId: string): RunSummary {
    const r = this.records.row(parentId)
    if (!this.running.has(parentId)) return this.training.stop(parentId)
    this.stopping.add(parentId)
    const current = this.records.children(parentId).find((c) => this.training.isBusy(c.id))
    if (current) {
      try {
        this.training.stop(current.id)
      } catch (err) {
        // Still preparing its data: the loop stops before the next fold.
        if (!(err instanceof AppError && err.code === 'INVALID_STATE')) throw err
      }
    }
    return this.records.summary(r)
  }

  /** A cross-validation re-runs as a cross-validation: same k, seed and frozen data, so the same folds. */
  rerun(parentId: string): Promise<RunSummary> {
    const r = this.records.row(parentId)
    return this.crossValidate({
      projectId: r.project_id,
      spec: storedSpec(r.spec_json),
      hyperparameters: JSON.parse(r.hyperparameters_json) as Hyperparameters,
      seed: r.seed,
      datasetVersionId: r.dataset_version_id,
      k: r.folds!,
    })
  }

  delete(parentId: string): { runId: string } {
    if (this.running.has(parentId))
      throw new AppError(
        'INVALID_STATE',
        `“${this.records.row(parentId).name}” is training; stop it before deleting it`,
      )
    return this.training.delete(parentId)
  }

  /** Resolves when the cross-validation's folds have ended. */
  async whenDone(parentId: string): Promise<RunSummary> {
    await this.running.get(parentId)
    return this.records.summary(this.records.row(parentId))
  }

  /** At close: interrupts the folds that train (and their parents), then every other run. */
  async stopAll(): Promise<void> {
    this.closing = true
    await this.training.stopAll()
    await Promise.all(this.running.values())
  }
}
