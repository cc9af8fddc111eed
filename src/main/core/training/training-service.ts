/**
 * Runs, on the main-process side: starts a run (freezing the dataset into a version, preparing the pixel
 * cache or the encoded table, checking the model against the data), launches the trainer process and
 * records what it reports — metrics append-only with latest_metrics in the same transaction, checkpoints
 * as artifacts, evaluations and every prediction. A trainer that dies leaves its run marked interrupted or
 * failed with the reason; an interrupted run resumes from its last checkpoint.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DatasetVersion, EngineChoice, Split, StartRunInput, TableColumn } from '../../../shared/contract'
import { analyzeStack, backboneConfig, normalizeLayer, outputActivationProblem } from '../../../shared/model/registry'
import type { ModelSpec } from '../../../shared/model/types'
import type { TryRowResult } from '../../../shared/export'
import {
  hyperparametersSchema,
  type CrossValidationSummary,
  type LabelSuggestion,
  type TryImageResult,
  type Evaluation,
  type Hyperparameters,
  type MetricPoint,
  type PredictionExample,
  type PredictionRow,
  type RunComparison,
  type RunDetail,
  type RunStatus,
  type RunSummary,
} from '../../../shared/training'
import type { BlobStore } from '../datasets/blob-store'
import type { DatasetsService } from '../datasets/datasets-service'
import { kfoldAssignment } from '../datasets/split'
import { buildImageCache, cachePaths } from '../datasets/tensor-cache'
import { backbones } from '../../../shared/model/backbones'
import { versionName } from '../../../shared/words'
import { AppError, diskFullMessage, isDiskFull, notFound } from '../errors'
import { argmax, classificationMetrics, regressionMetrics } from '../evaluation/metrics'
import type { EventBus } from '../events'
import type { Db } from '../store/database'
import type { TrainerChild, TrainerLauncher } from './launcher'
import { BadFileError, inspectImage, modelInputPixels } from '../datasets/image-file'
import { mapConcurrent } from '../datasets/map-concurrent'
import sharp from 'sharp'
import { buildProfile, imageStats, unusualInput, type InputProfile } from './input-profile'
import { findCheckpointsAfter, type FoundCheckpoint, type LoopState } from './checkpoint'
import { unknownMessage, type ExportJob, type FromTrainer, type ToTrainer, type TrainJob } from './protocol'
import { encodeRows, fitEncoder, rowProblem, type TableEncoder } from './table-encoding'
import { memoryRefusal, type MemoryLimit } from '../../../shared/model/memory'
import { trainingMemoryLimit } from './memory-limit'
import { messageOf } from '../../../shared/messages'

interface RunRow {
  id: string
  project_id: string
  dataset_version_id: string
  name: string
  spec_json: string
  hyperparameters_json: string
  seed: number
  engine_json: string | null
  status: RunStatus
  status_reason: string | null
  epochs_done: number
  parent_run_id: string | null
  created_at: number
  started_at: number | null
  finished_at: number | null
  tags_json: string
  notes: string
  folds: number | null
  fold: number | null
  sweep_id: string | null
}

/** "Conv2D ×2 · MaxPooling2D ×2 · Flatten · Dense ×2 · 56,714 parameters" */
export function architectureSummary(spec: ModelSpec): string {
  const counts = new Map<string, number>()
  for (const l of spec.layers) counts.set(l.type, (counts.get(l.type) ?? 0) + 1)
  const parts = [...counts].map(([t, n]) => (n > 1 ? `${t} ×${n}` : t))
  return `${parts.join(' · ')} · ${analyzeStack(spec).totalParams.toLocaleString('en')} parameters`
}

/** A run's settings as flat `path: value` pairs, so runs can be compared setting by setting. */
export function flattenSettings(run: RunDetail, versionNumber: number): Record<string, string> {
  const out: Record<string, string> = { data: versionName(versionNumber), seed: String(run.seed), 'input shape': `(${run.spec.inputShape.join(', ')})` }
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x)
    else out[prefix] = Array.isArray(v) ? v.join('×') : String(v)
  }
  walk('', run.hyperparameters)
  out.layers = String(run.spec.layers.length)
  run.spec.layers.forEach((l, i) => walk(`layer ${i + 1} ${l.type}`, l.config))
  return out
}

interface Live {
  child: TrainerChild
  /** Set when the user asked to stop, so the exit is read as stopped rather than crashed. */
  stopping: boolean
  /** Why it was stopped, when not by the user (a sweep's pruning rule). */
  stopReason?: string
  ended: boolean
  done: Promise<void>
  /**
   * Set when the run must end interrupted, resumable, with this reason: a message could not be recorded
   * (the disk is full), or a trainer that was not responding was stopped.
   */
  interruptReason?: string
  /** When the trainer last said anything, and whether it has been silent too long. */
  lastSeen: number
  notResponding?: boolean
}

const notRespondingReason = 'The trainer is not responding. Wait, or Stop it: Resume then continues from the last checkpoint'

/** Table rows as the model's input: the encoder's features, float32 bytes. */
function featureBytes(encoder: TableEncoder, rows: Array<Record<string, string | number | null>>): Buffer {
  const features = encodeRows(encoder, rows)
  return Buffer.from(features.buffer, features.byteOffset, features.byteLength)
}

export class TrainingService {
  private readonly live = new Map<string, Live>()
  /** Runs whose data is still being prepared, before their trainer exists. */
  private readonly preparing = new Map<string, Promise<void>>()

  constructor(
    private readonly db: Db,
    private readonly datasets: DatasetsService,
    private readonly blobs: BlobStore,
    private readonly events: EventBus,
    private readonly launch: TrainerLauncher,
    private readonly now: () => number = Date.now,
    /** How long a trainer may send nothing (it sends a heartbeat every 2 s) before it counts as not responding. */
    private readonly heartbeatTimeoutMs = 30_000,
    /** What training may use (a model estimated to need more is refused at start). */
    private readonly memoryLimit: MemoryLimit = trainingMemoryLimit(),
  ) {}

  /** At start-up: runs that were going when the app stopped are interrupted; they can be resumed. */
  recoverInterrupted(): void {
    this.db
      .prepare("UPDATE runs SET status = 'interrupted', status_reason = 'ModelBench closed while this run was training' WHERE status IN ('queued', 'running', 'paused')")
      .run()
  }

  private row(runId: string): RunRow {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ? AND deleted_at IS NULL').get(runId) as RunRow | undefined
    if (!row) throw notFound('Run', runId)
    return row
  }

  private latest(runId: string): Record<string, number | null> {
    const rows = this.db.prepare('SELECT key, value FROM latest_metrics WHERE run_id = ?').all(runId) as Array<{ key: string; value: number | null }>
    return Object.fromEntries(rows.map((r) => [r.key, r.value]))
  }

  private testAccuracy(runId: string, folds: number | null = null): number | null {
    if (folds !== null) {
      const children = this.db.prepare('SELECT id FROM runs WHERE parent_run_id = ? AND fold IS NOT NULL').all(runId) as Array<{ id: string }>
      const accs = children.map((c) => this.testAccuracy(c.id)).filter((a): a is number => a !== null)
      return accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : null
    }
    const row = this.db
      .prepare("SELECT metrics_json FROM evaluations WHERE run_id = ? ORDER BY CASE split WHEN 'test' THEN 0 ELSE 1 END LIMIT 1")
      .get(runId) as { metrics_json: string } | undefined
    if (!row) return null
    const e = JSON.parse(row.metrics_json) as Evaluation
    return e.kind === 'classification' ? e.accuracy : null
  }

  private summary(r: RunRow): RunSummary {
    const hp = JSON.parse(r.hyperparameters_json) as Hyperparameters
    const spec = JSON.parse(r.spec_json) as ModelSpec
    return {
      id: r.id,
      projectId: r.project_id,
      datasetVersionId: r.dataset_version_id,
      datasetVersion: this.datasets.version(r.dataset_version_id).number,
      name: r.name,
      status: r.status,
      statusReason: r.status_reason,
      seed: r.seed,
      epochsDone: r.epochs_done,
      epochs: hp.epochs,
      engine: r.engine_json ? (JSON.parse(r.engine_json) as RunSummary['engine']) : null,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      latest: this.latest(r.id),
      tags: JSON.parse(r.tags_json) as string[],
      notes: r.notes,
      parentRunId: r.parent_run_id,
      optimizer: hp.optimizer,
      learningRate: hp.learningRate,
      batchSize: hp.batchSize,
      architectureSummary: architectureSummary(spec),
      testAccuracy: this.testAccuracy(r.id, r.folds),
      folds: r.folds,
      fold: r.fold,
      sweepId: r.sweep_id,
    }
  }

  get(runId: string): RunDetail {
    const r = this.row(runId)
    return { ...this.summary(r), spec: JSON.parse(r.spec_json) as ModelSpec, hyperparameters: JSON.parse(r.hyperparameters_json) as Hyperparameters }
  }

  list(projectId: string, offset = 0, limit = 100): { items: RunSummary[]; total: number } {
    const { n } = this.db.prepare('SELECT count(*) AS n FROM runs WHERE project_id = ? AND deleted_at IS NULL').get(projectId) as { n: number }
    const rows = this.db
      .prepare('SELECT * FROM runs WHERE project_id = ? AND deleted_at IS NULL ORDER BY created_at DESC LIMIT ? OFFSET ?')
      .all(projectId, limit, offset) as RunRow[]
    return { items: rows.map((r) => this.summary(r)), total: n }
  }

  metrics(runId: string, keys?: string[]): Record<string, MetricPoint[]> {
    this.row(runId)
    const rows = (
      keys && keys.length > 0
        ? this.db
            .prepare(`SELECT key, step, epoch, value, wall_time FROM metrics WHERE run_id = ? AND key IN (${keys.map(() => '?').join(',')}) ORDER BY key, step`)
            .all(runId, ...keys)
        : this.db.prepare('SELECT key, step, epoch, value, wall_time FROM metrics WHERE run_id = ? ORDER BY key, step').all(runId)
    ) as Array<{ key: string; step: number; epoch: number; value: number | null; wall_time: number }>
    const out: Record<string, MetricPoint[]> = {}
    for (const r of rows) (out[r.key] ??= []).push({ step: r.step, epoch: r.epoch, value: r.value, wallTime: r.wall_time })
    return out
  }

  evaluation(runId: string): { validation: Evaluation | null; test: Evaluation | null } {
    this.row(runId)
    const rows = this.db.prepare('SELECT split, metrics_json FROM evaluations WHERE run_id = ?').all(runId) as Array<{ split: 'validation' | 'test'; metrics_json: string }>
    const get = (s: string): Evaluation | null => {
      const r = rows.find((x) => x.split === s)
      return r ? (JSON.parse(r.metrics_json) as Evaluation) : null
    }
    return { validation: get('validation'), test: get('test') }
  }

  predictions(runId: string, split: 'validation' | 'test', offset = 0, limit = 200): { items: PredictionRow[]; total: number } {
    this.row(runId)
    const { n } = this.db.prepare('SELECT count(*) AS n FROM predictions WHERE run_id = ? AND split = ?').get(runId, split) as { n: number }
    const rows = this.db
      .prepare('SELECT * FROM predictions WHERE run_id = ? AND split = ? ORDER BY sample_id LIMIT ? OFFSET ?')
      .all(runId, split, limit, offset) as Array<{
      sample_id: number
      true_index: number | null
      predicted_index: number | null
      confidence: number | null
      probabilities: string | null
      true_value: number | null
      predicted_value: number | null
    }>
    return {
      total: n,
      items: rows.map((r) => ({
        sampleId: r.sample_id,
        trueIndex: r.true_index,
        predictedIndex: r.predicted_index,
        confidence: r.confidence,
        probabilities: r.probabilities ? (JSON.parse(r.probabilities) as number[]) : null,
        trueValue: r.true_value,
        predictedValue: r.predicted_value,
      })),
    }
  }

  private setStatus(runId: string, status: RunStatus, reason: string | null, extra: { started?: boolean; finished?: boolean } = {}): void {
    const t = this.now()
    this.db
      .prepare(
        `UPDATE runs SET status = ?, status_reason = ?, started_at = CASE WHEN ? THEN coalesce(started_at, ?) ELSE started_at END,
         finished_at = CASE WHEN ? THEN ? ELSE NULL END WHERE id = ?`,
      )
      .run(status, reason, extra.started ? 1 : 0, t, extra.finished ? 1 : 0, t, runId)
    const r = this.row(runId)
    this.events.emit('training.statusChanged', { runId, projectId: r.project_id, status, reason })
  }

  /** Says on the run (its status stays) that its trainer has gone silent, or clears that. */
  private noteResponsiveness(runId: string, reason: string | null): void {
    try {
      this.db.prepare('UPDATE runs SET status_reason = ? WHERE id = ?').run(reason, runId)
      const r = this.row(runId)
      this.events.emit('training.statusChanged', { runId, projectId: r.project_id, status: r.status, reason })
    } catch (err) {
      console.error(`modelbench: could not record that the trainer of run ${runId} ${reason ? 'is not responding' : 'answers again'}:`, err)
    }
  }

  /**
   * Ends a run that hit an error: failed with its message, except that a full disk is not the run's fault,
   * so the run is interrupted with the plain sentence and resumes from its checkpoints once there is room.
   */
  private endWithError(runId: string, projectId: string, err: unknown): void {
    const full = isDiskFull(err)
    const message = full ? diskFullMessage : messageOf(err)
    this.tryStatus(runId, full ? 'interrupted' : 'failed', message)
    this.events.emit('training.failed', { runId, projectId, message })
  }

  /** setStatus where the write itself may fail (a full disk): the next start marks the run interrupted then. */
  private tryStatus(runId: string, status: RunStatus, reason: string): void {
    try {
      this.setStatus(runId, status, reason, { finished: true })
    } catch (err) {
      console.error(`modelbench: could not record that run ${runId} is ${status}:`, err)
    }
  }

  // ---- starting --------------------------------------------------------------------------------------

  /** Checks everything a run needs, records it (queued) and starts it in the background. */
  async start(input: StartRunInput, parentRunId: string | null = null, sweepId: string | null = null): Promise<RunSummary> {
    const id = this.createRun(input, parentRunId, {}, sweepId)
    this.launchInBackground(id, null, input.engine)
    return this.summary(this.row(id))
  }

  /** Checks everything a run needs and records it, queued; returns its id. */
  private createRun(input: StartRunInput, parentRunId: string | null, cv: { folds?: number; fold?: number } = {}, sweepId: string | null = null): string {
    const dataset = this.datasets.forProject(input.projectId)
    if (!dataset) throw new AppError('INVALID_STATE', 'This project has no data yet: import some on the Data page first')
    const version: DatasetVersion = input.datasetVersionId ? this.datasets.version(input.datasetVersionId) : this.datasets.freezeVersion(dataset.id)
    if (version.datasetId !== dataset.id) throw new AppError('INVALID_ARGUMENT', 'That dataset version belongs to another project', 'datasetVersionId')
    const parsed = hyperparametersSchema.safeParse(input.hyperparameters ?? {})
    if (!parsed.success) throw new AppError('INVALID_ARGUMENT', `hyperparameters: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 'hyperparameters')
    const hp = parsed.data
    const checked = this.checkSpec(input.spec, dataset.kind, dataset.task, version, dataset.columns_json ? (JSON.parse(dataset.columns_json) as TableColumn[]) : [])
    // Refused before anything is built or cached: training it would end in an out-of-memory crash.
    const tooBig = memoryRefusal(checked, hp.batchSize, this.memoryLimit)
    if (tooBig) throw new AppError('INVALID_ARGUMENT', tooBig, 'spec')
    // A run-wide initializer is written into the layers, so the recorded spec says exactly what trained.
    const spec: ModelSpec =
      hp.initializer === 'perLayer'
        ? checked
        : { ...checked, layers: checked.layers.map((l) => ('kernelInitializer' in l.config ? ({ ...l, config: { ...l.config, kernelInitializer: hp.initializer } } as typeof l) : l)) }
    const seed = input.seed ?? Math.floor(Math.random() * 2 ** 31)
    const id = randomUUID()
    const { n } = this.db.prepare('SELECT count(*) AS n FROM runs WHERE project_id = ?').get(input.projectId) as { n: number }
    this.db
      .prepare(
        `INSERT INTO runs (id, project_id, dataset_version_id, name, spec_json, hyperparameters_json, seed, status, parent_run_id, folds, fold, sweep_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
      )
      .run(id, input.projectId, version.id, input.name ?? `Run ${n + 1}`, JSON.stringify(spec), JSON.stringify(hp), seed, parentRunId, cv.folds ?? null, cv.fold ?? null, sweepId, this.now())
    this.events.emit('training.statusChanged', { runId: id, projectId: input.projectId, status: 'queued', reason: null })
    return id
  }

  // ---- cross-validation ------------------------------------------------------------------------------

  /** A parent run and k child runs on the same frozen data, each child tested on one stratified fold. */
  async crossValidate(input: StartRunInput & { k: number }): Promise<RunSummary> {
    const seed = input.seed ?? Math.floor(Math.random() * 2 ** 31)
    const { k, ...start } = input
    const parentId = this.createRun({ ...start, seed }, null, { folds: k })
    const parent = this.row(parentId)
    const name = `${parent.name} · ${k}-fold cross-validation`
    this.db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(name, parentId)
    for (let fold = 0; fold < k; fold++) {
      this.createRun({ ...start, seed, datasetVersionId: parent.dataset_version_id, name: `${parent.name} · fold ${fold + 1} of ${k}` }, parentId, { fold })
    }
    this.runFoldsInBackground(parentId, input.engine)
    return this.summary(this.row(parentId))
  }

  private children(parentId: string): RunRow[] {
    return this.db.prepare('SELECT * FROM runs WHERE parent_run_id = ? AND fold IS NOT NULL AND deleted_at IS NULL ORDER BY fold').all(parentId) as RunRow[]
  }

  private runFoldsInBackground(parentId: string, engine?: EngineChoice): void {
    const pending = this.runFolds(parentId, engine).finally(() => this.preparing.delete(parentId))
    this.preparing.set(parentId, pending)
  }

  /** Trains the folds one after another (the cores are shared), then sums them up on the parent. */
  private async runFolds(parentId: string, engine?: EngineChoice): Promise<void> {
    this.setStatus(parentId, 'running', null, { started: true })
    for (const child of this.children(parentId)) {
      if (this.stoppingFolds.has(parentId)) break
      if (child.status === 'completed') continue
      if (child.status === 'interrupted') this.resume(child.id)
      else if (child.status === 'queued') this.launchInBackground(child.id, null, engine)
      else continue
      await this.whenDone(child.id)
    }
    const children = this.children(parentId)
    const stopped = this.stoppingFolds.delete(parentId)
    for (const c of children) if (c.status === 'queued') this.setStatus(c.id, 'stopped', 'Cross-validation stopped before this fold', { finished: true })
    const cv = this.crossValidation(parentId)
    const done = cv.folds.filter((f) => f.status === 'completed').length
    const summary =
      cv.mean.testAccuracy !== undefined
        ? `test accuracy ${(cv.mean.testAccuracy * 100).toFixed(1)} % ± ${(cv.std.testAccuracy! * 100).toFixed(1)} over ${done} folds`
        : `${done} of ${children.length} folds completed`
    const status: RunStatus = stopped ? 'stopped' : done === children.length ? 'completed' : this.children(parentId).some((c) => c.status === 'interrupted') ? 'interrupted' : 'failed'
    this.setStatus(parentId, status, summary, { finished: true })
  }

  private readonly stoppingFolds = new Set<string>()

  crossValidation(runId: string): CrossValidationSummary {
    const parent = this.row(runId)
    if (parent.folds === null) throw new AppError('INVALID_ARGUMENT', 'This run is not a cross-validation', 'runId')
    const folds = this.children(runId).map((c) => this.summary(c))
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
    return { parent: this.summary(parent), folds, mean, std }
  }

  /** The splits a cross-validation child trains with: its fold is the test split, the rest train. */
  private foldSplits(child: RunRow): Split[] | null {
    if (child.fold === null || child.parent_run_id === null) return null
    const parent = this.row(child.parent_run_id)
    const rows = this.db
      .prepare(
        `SELECT vs.sample_id, vs.class_index, s.content_hash FROM dataset_version_samples vs JOIN samples s ON s.id = vs.sample_id
         WHERE vs.version_id = ? ORDER BY vs.position`,
      )
      .all(child.dataset_version_id) as Array<{ sample_id: number; class_index: number | null; content_hash: string }>
    const folds = kfoldAssignment(
      rows.map((r) => ({ id: r.sample_id, hash: r.content_hash, group: r.class_index ?? 'all' })),
      parent.folds!,
      parent.seed,
    )
    return rows.map((r) => (folds.get(r.sample_id) === child.fold ? 'test' : 'train'))
  }

  /** Normalises the spec and refuses, before any training, a stack that cannot work with this data. */
  private checkSpec(raw: ModelSpec, kind: 'image' | 'table', task: 'classification' | 'regression', version: DatasetVersion, columns: TableColumn[]): ModelSpec {
    let spec: ModelSpec
    try {
      spec = { inputShape: raw.inputShape, layers: raw.layers.map((l) => normalizeLayer(l)) }
    } catch (err) {
      throw new AppError('INVALID_ARGUMENT', messageOf(err), 'spec')
    }
    const analysis = analyzeStack(spec)
    if (analysis.firstError) {
      const i = analysis.firstError.index
      throw new AppError('INVALID_ARGUMENT', i < 0 ? analysis.firstError.message : `Layer ${i + 1} (${spec.layers[i]!.type}): ${analysis.firstError.message}`, 'spec')
    }
    if (kind === 'image' && !(spec.inputShape.length === 3 && (spec.inputShape[2] === 1 || spec.inputShape[2] === 3))) {
      throw new AppError('INVALID_ARGUMENT', `An image model's input must be (height, width, 1 or 3). Received: (${spec.inputShape.join(', ')})`, 'spec')
    }
    if (kind === 'table' && spec.inputShape.length !== 1) {
      throw new AppError('INVALID_ARGUMENT', `A table model's input must be one dimension: the number of features (${columns.length} columns, categories one-hot)`, 'spec')
    }
    const units = analysis.outputShape!.at(-1)!
    const classes = version.classNames.length
    if (task === 'regression' && units !== 1) throw new AppError('INVALID_ARGUMENT', `The last layer has ${units} units; predicting a number needs 1`, 'spec')
    if (task === 'classification' && !(units === classes || (classes === 2 && units === 1))) {
      throw new AppError('INVALID_ARGUMENT', `The last layer has ${units} units but the data has ${classes} classes (${version.classNames.join(', ')})`, 'spec')
    }
    // Relu, linear or softmax in the wrong place trains to chance without a word: refused with what it needs.
    const activationProblem = outputActivationProblem(spec, task, classes)
    if (activationProblem) throw new AppError('INVALID_ARGUMENT', activationProblem, 'spec')
    return spec
  }

  private async prepareData(runId: string, spec: ModelSpec, version: DatasetVersion, splits: Split[] | null): Promise<TrainJob['data']> {
    const dataset = this.datasets.row(version.datasetId)
    if (dataset.kind === 'image') {
      const shape = { height: spec.inputShape[0]!, width: spec.inputShape[1]!, channels: spec.inputShape[2] as 1 | 3 }
      const projectId = this.row(runId).project_id
      const started = Date.now()
      await buildImageCache(this.db, this.blobs, version.id, shape, (done, total) => {
        const rate = done / Math.max((Date.now() - started) / 1000, 1e-3)
        this.events.emit('training.prepareProgressed', { runId, projectId, phase: 'images', done, total, secondsLeft: done < total ? (total - done) / rate : 0 })
      })
      const paths = cachePaths(this.blobs.dataDir, version.id, shape)
      const featureDir = backboneConfig(spec) ? join(this.blobs.dataDir, 'caches', version.id, 'features') : undefined
      return { kind: 'image', cacheData: paths.data, cacheMeta: paths.meta, ...(featureDir ? { featureDir } : {}), ...(splits ? { splits } : {}) }
    }
    const rows = this.db
      .prepare(
        `SELECT vs.sample_id, vs.split, vs.class_index, vs.target_value, s.values_json FROM dataset_version_samples vs
         JOIN samples s ON s.id = vs.sample_id WHERE vs.version_id = ? ORDER BY vs.position`,
      )
      .all(version.id) as Array<{ sample_id: number; split: 'train' | 'validation' | 'test'; class_index: number | null; target_value: number | null; values_json: string }>
    const values = rows.map((r) => JSON.parse(r.values_json) as Record<string, string | number | null>)
    const columns = JSON.parse(dataset.columns_json ?? '[]') as TableColumn[]
    const encoder = fitEncoder(columns, values.filter((_, i) => rows[i]!.split === 'train'), this.allValues(dataset.id))
    if (spec.inputShape[0] !== encoder.featureCount) {
      throw new AppError('INVALID_ARGUMENT', `The model's input has ${spec.inputShape[0]} values but the table gives ${encoder.featureCount} features per row`, 'spec')
    }
    const dir = join(this.blobs.dataDir, 'runs', runId)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'preprocessing.json'), JSON.stringify({ kind: 'table', encoder }, null, 1))
    return {
      kind: 'table',
      features: encodeRows(encoder, values),
      featureCount: encoder.featureCount,
      targets: Float32Array.from(rows, (r) => (dataset.task === 'regression' ? r.target_value! : r.class_index!)),
      sampleIds: rows.map((r) => r.sample_id),
      splits: splits ?? rows.map((r) => r.split),
    }
  }

  /** The number of features a table project's model takes (for the Model page and tests). */
  featureCount(projectId: string): number {
    const dataset = this.datasets.forProject(projectId)
    if (!dataset || dataset.kind !== 'table') throw new AppError('INVALID_STATE', 'This project does not hold a table')
    return fitEncoder(JSON.parse(dataset.columns_json ?? '[]') as TableColumn[], [], this.allValues(dataset.id)).featureCount
  }

  private allValues(datasetId: string): Array<Record<string, string | number | null>> {
    return (this.db.prepare('SELECT values_json FROM samples WHERE dataset_id = ?').all(datasetId) as Array<{ values_json: string }>).map(
      (r) => JSON.parse(r.values_json) as Record<string, string | number | null>,
    )
  }

  private launchInBackground(runId: string, resume: TrainJob['resume'], engine?: EngineChoice): void {
    const pending = this.launchRun(runId, resume, engine).finally(() => this.preparing.delete(runId))
    this.preparing.set(runId, pending)
  }

  private async launchRun(runId: string, resume: TrainJob['resume'], engine?: EngineChoice): Promise<void> {
    const r = this.row(runId)
    let job: TrainJob
    try {
      const version = this.datasets.version(r.dataset_version_id)
      const spec = JSON.parse(r.spec_json) as ModelSpec
      const dataset = this.datasets.row(version.datasetId)
      job = {
        runId,
        spec,
        hyperparameters: JSON.parse(r.hyperparameters_json) as Hyperparameters,
        seed: r.seed,
        task: dataset.task,
        classNames: version.classNames,
        data: await this.prepareData(runId, spec, version, this.foldSplits(r)),
        checkpointDir: join(this.blobs.dataDir, 'runs', runId, 'checkpoints'),
        resume,
        ...(engine ? { engine } : {}),
      }
    } catch (err) {
      // Preparing the data can fill the disk (the tensor cache): then the run waits to be resumed.
      this.endWithError(runId, r.project_id, err)
      return
    }
    const child = this.launch()
    let resolveDone!: () => void
    const live: Live = { child, stopping: false, ended: false, done: new Promise((res) => (resolveDone = res)), lastSeen: Date.now() }
    this.live.set(runId, live)
    const watch = setInterval(() => {
      if (live.ended || live.notResponding || Date.now() - live.lastSeen < this.heartbeatTimeoutMs) return
      live.notResponding = true
      this.noteResponsiveness(runId, notRespondingReason)
    }, Math.min(5000, this.heartbeatTimeoutMs / 3))
    watch.unref()
    child.onMessage((m) => {
      if (live.interruptReason) return
      live.lastSeen = Date.now()
      if (live.notResponding) {
        live.notResponding = false
        this.noteResponsiveness(runId, null)
      }
      try {
        this.onMessage(runId, live, m)
      } catch (err) {
        // Never drop a message and train on: what is recorded would no longer be the run. Stop the trainer;
        // the run resumes from its last recorded checkpoint once the cause (a full disk) is gone.
        live.interruptReason = isDiskFull(err) ? diskFullMessage : `A result from the trainer could not be recorded (${messageOf(err)}); Resume continues from the last checkpoint`
        console.error(`modelbench: could not record a message from the trainer of run ${runId}:`, err)
        child.kill()
      }
    })
    child.onExit((code, signal) => {
      clearInterval(watch)
      this.live.delete(runId)
      if (live.interruptReason) {
        live.ended = true
        this.tryStatus(runId, 'interrupted', live.interruptReason)
        this.events.emit('training.failed', { runId, projectId: r.project_id, message: live.interruptReason })
      } else if (!live.ended) {
        live.ended = true
        if (live.stopping) {
          this.setStatus(runId, 'stopped', live.stopReason ?? 'Stopped by the user', { finished: true })
        } else {
          const reason = signal
            ? `The trainer process was killed (${signal}); resume continues from the last checkpoint`
            : `The trainer process ended unexpectedly (exit code ${code}); resume continues from the last checkpoint`
          this.setStatus(runId, 'interrupted', reason, { finished: true })
          this.events.emit('training.failed', { runId, projectId: r.project_id, message: reason })
        }
      }
      resolveDone()
    })
    child.send({ type: 'start', job })
  }

  private onMessage(runId: string, live: Live, m: FromTrainer): void {
    const r = this.row(runId)
    const hp = JSON.parse(r.hyperparameters_json) as Hyperparameters
    switch (m.type) {
      case 'started':
        this.db.prepare('UPDATE runs SET engine_json = ? WHERE id = ?').run(JSON.stringify(m.engine), runId)
        this.setStatus(runId, 'running', null, { started: true })
        return
      case 'batchEnded':
        this.db.transaction(() => {
          for (const b of m.recorded) this.recordMetrics(runId, b.step, m.epoch, { 'batch/loss': b.loss, ...(b.accuracy !== null ? { 'batch/accuracy': b.accuracy } : {}) })
        })()
        this.events.emit('training.batchEnded', {
          runId,
          projectId: r.project_id,
          epoch: m.epoch,
          epochs: hp.epochs,
          batch: m.batch,
          batches: m.batches,
          step: m.step,
          loss: m.loss,
          accuracy: m.accuracy,
          samplesPerSecond: m.samplesPerSecond,
        })
        return
      case 'epochEnded':
        this.recordEpoch(runId, { epoch: m.epoch, step: m.step, report: m, files: m.checkpoint.files })
        this.events.emit('training.epochEnded', { runId, projectId: r.project_id, epoch: m.epoch, epochs: hp.epochs, metrics: m.metrics, samplesPerSecond: m.samplesPerSecond, seconds: m.seconds })
        return
      case 'heartbeat':
        return
      case 'preparing':
        this.events.emit('training.prepareProgressed', { runId, projectId: r.project_id, phase: m.phase, done: m.done, total: m.total, secondsLeft: m.secondsLeft })
        return
      case 'paused':
        this.setStatus(runId, 'paused', null)
        return
      case 'resumed':
        this.setStatus(runId, 'running', null)
        return
      case 'predictions':
        this.recordPredictions(r, m.split, m.rows, m.loss)
        return
      case 'finished': {
        live.ended = true
        const reason = m.status === 'stopped' && live.stopReason ? live.stopReason : m.reason
        this.setStatus(runId, m.status, reason, { finished: true })
        this.events.emit('training.finished', { runId, projectId: r.project_id, status: m.status, reason })
        return
      }
      case 'predicted':
      case 'exported':
        // Only one-off jobs answer these; a training run never does.
        return
      case 'failed':
        live.ended = true
        this.endWithError(runId, r.project_id, new Error(m.message))
        return
      default:
        unknownMessage(m)
    }
  }

  /** An epoch's figures, its checkpoint's files and the run's epoch count, in one transaction. */
  private recordEpoch(runId: string, c: FoundCheckpoint): void {
    this.db.transaction(() => {
      this.recordMetrics(runId, c.step, c.epoch, { ...c.report.metrics, samples_per_second: c.report.samplesPerSecond, epoch_seconds: c.report.seconds })
      this.db.prepare('UPDATE runs SET epochs_done = max(epochs_done, ?) WHERE id = ?').run(c.epoch, runId)
      const insert = this.db.prepare('INSERT INTO artifacts (id, run_id, kind, epoch, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      for (const f of c.files) insert.run(randomUUID(), runId, 'checkpoint', c.epoch, f.path, f.sha256, f.bytes, this.now())
    })()
  }

  /**
   * Checkpoints that reached the disk after the last one recorded (the process died between writing one
   * and recording it) count as if their epochEnded message had arrived. Returns the newest checkpoint.
   */
  private adoptCheckpoints(runId: string): { epoch: number; path: string } | undefined {
    const lastRecorded = (): { epoch: number; path: string } | undefined =>
      this.db
        .prepare("SELECT epoch, path FROM artifacts WHERE run_id = ? AND kind = 'checkpoint' AND path LIKE '%checkpoint.json' ORDER BY epoch DESC LIMIT 1")
        .get(runId) as { epoch: number; path: string } | undefined
    const found = findCheckpointsAfter(join(this.blobs.dataDir, 'runs', runId, 'checkpoints'), lastRecorded()?.epoch ?? 0)
    for (const c of found) this.recordEpoch(runId, c)
    return lastRecorded()
  }

  /** Appends metric points (once per run, key and step) and moves latest_metrics in the same transaction. NaN is stored as a flag. */
  private recordMetrics(runId: string, step: number, epoch: number, values: Record<string, number>): void {
    const t = this.now()
    // Idempotent: a step recorded before a crash and replayed after the resume stays one point.
    const insert = this.db.prepare('INSERT INTO metrics (run_id, key, step, epoch, value, is_nan, wall_time) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, key, step) DO NOTHING')
    const latest = this.db.prepare(
      `INSERT INTO latest_metrics (run_id, key, step, epoch, value, is_nan, wall_time) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, epoch = excluded.epoch, value = excluded.value, is_nan = excluded.is_nan, wall_time = excluded.wall_time
       WHERE excluded.step >= latest_metrics.step`,
    )
    this.db.transaction(() => {
      for (const [key, v] of Object.entries(values)) {
        const nan = Number.isFinite(v) ? 0 : 1
        insert.run(runId, key, step, epoch, nan ? null : v, nan, t)
        latest.run(runId, key, step, epoch, nan ? null : v, nan, t)
      }
    })()
  }

  private recordPredictions(r: RunRow, split: 'validation' | 'test', rows: PredictionRow[], loss: number | null): void {
    const version = this.datasets.version(r.dataset_version_id)
    const regression = rows.length > 0 && rows[0]!.trueIndex === null
    const evaluation: Evaluation = regression
      ? regressionMetrics(
          rows.map((p) => p.trueValue!),
          rows.map((p) => p.predictedValue!),
        )
      : classificationMetrics(
          version.classNames,
          rows.map((p) => p.trueIndex!),
          rows.map((p) => p.predictedIndex!),
          version.classNames.length === 2 ? rows.map((p) => p.probabilities![1]!) : undefined,
          loss,
        )
    this.db.transaction(() => {
      const insert = this.db.prepare(
        `INSERT OR REPLACE INTO predictions (run_id, split, sample_id, true_index, predicted_index, confidence, probabilities, true_value, predicted_value)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      for (const p of rows) {
        insert.run(r.id, split, p.sampleId, p.trueIndex, p.predictedIndex, p.confidence, p.probabilities ? JSON.stringify(p.probabilities) : null, p.trueValue, p.predictedValue)
      }
      this.db.prepare('INSERT OR REPLACE INTO evaluations (run_id, split, metrics_json, created_at) VALUES (?, ?, ?, ?)').run(r.id, split, JSON.stringify(evaluation), this.now())
    })()
  }

  // ---- what people write about runs, deleting, re-running, comparing -----------------------------------

  update(runId: string, patch: { name?: string; tags?: string[]; notes?: string }): RunSummary {
    this.row(runId)
    if (patch.name !== undefined) this.db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(patch.name, runId)
    if (patch.tags !== undefined) this.db.prepare('UPDATE runs SET tags_json = ? WHERE id = ?').run(JSON.stringify([...new Set(patch.tags)]), runId)
    if (patch.notes !== undefined) this.db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(patch.notes, runId)
    return this.summary(this.row(runId))
  }

  delete(runId: string): { runId: string } {
    const r = this.row(runId)
    if (this.live.has(runId) || this.preparing.has(runId)) throw new AppError('INVALID_STATE', `“${r.name}” is training; stop it before deleting it`)
    this.db.prepare('UPDATE runs SET deleted_at = ? WHERE id = ?').run(this.now(), runId)
    return { runId }
  }

  restore(runId: string): RunSummary {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined
    if (!r) throw notFound('Run', runId)
    this.db.prepare('UPDATE runs SET deleted_at = NULL WHERE id = ?').run(runId)
    return this.summary(this.row(runId))
  }

  /** The same model, settings, dataset version and seed, as a new run linked to this one. */
  rerun(runId: string): Promise<RunSummary> {
    const r = this.row(runId)
    const engine = r.engine_json ? ((JSON.parse(r.engine_json) as { engine: EngineChoice }).engine as EngineChoice) : undefined
    if (r.folds !== null) {
      // A cross-validation re-runs as a cross-validation: same k, seed and frozen data, so the same folds.
      return this.crossValidate({
        projectId: r.project_id,
        spec: JSON.parse(r.spec_json) as ModelSpec,
        hyperparameters: JSON.parse(r.hyperparameters_json) as Hyperparameters,
        seed: r.seed,
        datasetVersionId: r.dataset_version_id,
        k: r.folds,
      })
    }
    return this.start(
      {
        projectId: r.project_id,
        spec: JSON.parse(r.spec_json) as ModelSpec,
        hyperparameters: JSON.parse(r.hyperparameters_json) as Hyperparameters,
        seed: r.seed,
        datasetVersionId: r.dataset_version_id,
        name: `${r.name} (re-run)`,
        ...(engine ? { engine } : {}),
      },
      runId,
    )
  }

  compare(runIds: string[], metric: string): RunComparison {
    const runs = runIds.map((id) => this.get(id))
    const settings = runs.map((run) => flattenSettings(run, this.datasets.version(run.datasetVersionId).number))
    const keys = [...new Set(settings.flatMap((s) => Object.keys(s)))]
    const differing = keys.filter((k) => new Set(settings.map((s) => s[k] ?? '—')).size > 1)
    const curves = runIds.map((id) => this.metrics(id, [metric])[metric] ?? [])
    const evaluations = runIds.map((id) => {
      const e = this.evaluation(id)
      return e.test ?? e.validation
    })
    return { runs, settings, differing, curves, evaluations }
  }

  /**
   * The error gallery: by default the mistakes (true ≠ predicted), or one confusion-matrix cell when both
   * indices are given; most confident first, so the surest mistakes — often label errors — come first.
   */
  examples(
    runId: string,
    split: 'validation' | 'test',
    filter: { trueIndex?: number; predictedIndex?: number; includeChecked?: boolean },
    offset = 0,
    limit = 60,
  ): { items: PredictionExample[]; total: number; classNames: string[] } {
    const r = this.row(runId)
    const classNames = this.datasets.version(r.dataset_version_id).classNames
    let where = 'p.run_id = ? AND p.split = ? AND p.true_index IS NOT NULL'
    const params: Array<string | number> = [runId, split]
    if (filter.trueIndex !== undefined) {
      where += ' AND p.true_index = ?'
      params.push(filter.trueIndex)
    }
    if (filter.predictedIndex !== undefined) {
      where += ' AND p.predicted_index = ?'
      params.push(filter.predictedIndex)
    }
    if (filter.trueIndex === undefined || filter.predictedIndex === undefined) where += ' AND p.true_index != p.predicted_index'
    if (!filter.includeChecked) where += ' AND p.checked = 0'
    const { n } = this.db.prepare(`SELECT count(*) AS n FROM predictions p WHERE ${where}`).get(...params) as { n: number }
    const rows = this.db
      .prepare(
        `SELECT p.sample_id, p.true_index, p.predicted_index, p.confidence, p.probabilities, p.checked, s.content_hash, s.original_name, s.class_id, s.values_json
         FROM predictions p JOIN samples s ON s.id = p.sample_id WHERE ${where} ORDER BY p.confidence DESC, p.sample_id LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset) as Array<{
      sample_id: number
      true_index: number
      predicted_index: number
      confidence: number
      probabilities: string
      checked: number
      content_hash: string
      original_name: string
      class_id: number | null
      values_json: string | null
    }>
    return {
      total: n,
      classNames,
      items: rows.map((x) => ({
        sampleId: x.sample_id,
        hash: x.content_hash,
        name: x.original_name,
        trueIndex: x.true_index,
        predictedIndex: x.predicted_index,
        confidence: x.confidence,
        probabilities: JSON.parse(x.probabilities) as number[],
        currentClassId: x.class_id,
        checked: x.checked === 1,
        values: x.values_json ? (JSON.parse(x.values_json) as Record<string, string | number | null>) : null,
      })),
    }
  }

  markChecked(runId: string, split: 'validation' | 'test', sampleId: number, checked: boolean): { checked: boolean } {
    this.row(runId)
    const info = this.db.prepare('UPDATE predictions SET checked = ? WHERE run_id = ? AND split = ? AND sample_id = ?').run(checked ? 1 : 0, runId, split, sampleId)
    if (info.changes === 0) throw notFound('Prediction of sample', String(sampleId))
    return { checked }
  }

  /**
   * Label suggestions: the run's model (its final weights) over the dataset's unlabeled images, most
   * uncertain first — those are the ones worth a person's look; confident ones can be accepted quickly.
   */
  async suggestLabels(runId: string, limit = 2000): Promise<{ items: LabelSuggestion[] }> {
    const { run, dataset, version } = this.imageClassifier(runId, 'suggest labels')
    const samples = this.db
      .prepare('SELECT id, content_hash FROM samples WHERE dataset_id = ? AND class_id IS NULL ORDER BY id LIMIT ?')
      .all(dataset.id, limit) as Array<{ id: number; content_hash: string }>
    if (samples.length === 0) return { items: [] }
    const probabilities = await this.predictImages(run, samples.map((s) => readFileSync(this.blobs.blobPath(s.content_hash))))
    const classes = new Map(this.datasets.classes(dataset.id).map((k) => [k.name, k.id]))
    const items = samples.flatMap((s, i) => {
      const probs = probabilities[i]!
      const best = argmax(probs)
      const className = version.classNames[best]!
      const classId = classes.get(className)
      return classId === undefined ? [] : [{ sampleId: s.id, hash: s.content_hash, classId, className, confidence: Math.round(probs[best]! * 1e4) / 1e4 }]
    })
    items.sort((a, b) => a.confidence - b.confidence)
    return { items }
  }

  /** "Try it": a completed run's class probabilities for one image — a dataset sample or a file's bytes —
   * preprocessed exactly as in training. */
  async tryImage(runId: string, input: { sampleId?: number; image?: Buffer; fileName?: string }): Promise<TryImageResult> {
    const { run, dataset, version } = this.imageClassifier(runId, 'try an image')
    let data: Buffer
    let trueClass: string | null = null
    let sampleHash: string | null = null
    if (input.sampleId !== undefined) {
      const s = this.db.prepare('SELECT s.content_hash, c.name AS class FROM samples s LEFT JOIN classes c ON c.id = s.class_id WHERE s.id = ? AND s.dataset_id = ?').get(input.sampleId, dataset.id) as
        | { content_hash: string; class: string | null }
        | undefined
      if (!s) throw notFound('Sample', String(input.sampleId))
      data = readFileSync(this.blobs.blobPath(s.content_hash))
      trueClass = s.class
      sampleHash = s.content_hash
    } else if (input.image) {
      data = input.image
      try {
        await inspectImage(data)
      } catch (err) {
        if (err instanceof BadFileError) throw new AppError('INVALID_ARGUMENT', `${input.fileName ?? 'The file'}: ${err.message}`, 'imageBase64')
        throw err
      }
    } else {
      throw new AppError('INVALID_ARGUMENT', 'Give a sample or an image to try')
    }
    const spec = JSON.parse(run.spec_json) as ModelSpec
    const [height, width, channels] = spec.inputShape as [number, number, 1 | 3]
    const pixels = await modelInputPixels(data, [height, width, channels])
    const [probabilities] = (await this.predictInputs(run.id, { type: 'pixels', data: pixels }, 1)) as [number[]]
    const classes = version.classNames.map((name, i) => ({ name, probability: probabilities[i]! }))
    const png = await sharp(pixels, { raw: { width, height, channels } }).png().toBuffer()
    const unusual = unusualInput(imageStats(pixels, channels), await this.inputProfile(run, [height, width, channels]))
    return { predicted: version.classNames[argmax(probabilities)]!, trueClass, sampleHash, classes, seen: { pngBase64: png.toString('base64'), width, height, channels, scaling: this.scalingWords(run.id) }, unusual }
  }

  /** How a run scales its input pixels, in words: "÷ 255, to 0–1", or the per-channel mean and deviation. */
  private scalingWords(runId: string): string {
    const prep = this.inputPreparation(runId)
    if (prep.kind !== 'image') return ''
    const round = (v: number): string => String(Math.round(v * 10) / 10)
    if (prep.mean.every((m) => m === 0) && prep.std.every((d) => d === 255)) return 'pixel values ÷ 255, so 0 to 1'
    const same = prep.mean.every((m) => m === prep.mean[0]) && prep.std.every((d) => d === prep.std[0])
    if (same) return `(pixel value − ${round(prep.mean[0]!)}) ÷ ${round(prep.std[0]!)}`
    return `(pixel value − mean) ÷ deviation per channel (means ${prep.mean.map(round).join(', ')}; deviations ${prep.std.map(round).join(', ')})`
  }

  /**
   * The look of a run's training images (brightness, contrast, colour; up to 300 of them, resized as for the
   * model), measured once and kept with the run for later tries.
   */
  private async inputProfile(run: RunRow, shape: [number, number, 1 | 3]): Promise<InputProfile> {
    const path = join(this.blobs.dataDir, 'runs', run.id, 'input-profile.json')
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as InputProfile
    const hashes = this.datasets.versionSampleHashes(run.dataset_version_id, 'train', 300)
    const stats = await mapConcurrent(hashes, 4, async (h) => imageStats(await modelInputPixels(readFileSync(this.blobs.blobPath(h)), shape), shape[2]))
    const profile = buildProfile(stats)
    writeFileSync(path, JSON.stringify(profile))
    return profile
  }

  /** "Try it" for tables: a completed run's prediction for a dataset row or for values typed in. */
  async tryRow(runId: string, input: { sampleId?: number; values?: Record<string, string | number | null> }): Promise<TryRowResult> {
    const run = this.completedRun(runId, 'try a row')
    const version = this.datasets.version(run.dataset_version_id)
    const dataset = this.datasets.row(version.datasetId)
    if (dataset.kind !== 'table') throw new AppError('INVALID_STATE', 'Only runs trained on a table can try a row; use an image for this run')
    let values: Record<string, string | number | null>
    let trueClass: string | null = null
    let trueValue: number | null = null
    if (input.sampleId !== undefined) {
      const s = this.db.prepare('SELECT s.values_json, s.target_value, c.name AS class FROM samples s LEFT JOIN classes c ON c.id = s.class_id WHERE s.id = ? AND s.dataset_id = ?').get(input.sampleId, dataset.id) as
        | { values_json: string; target_value: number | null; class: string | null }
        | undefined
      if (!s) throw notFound('Row', String(input.sampleId))
      values = JSON.parse(s.values_json) as Record<string, string | number | null>
      trueClass = s.class
      trueValue = s.target_value
    } else {
      values = input.values ?? {}
    }
    // Read once: typed-in values are checked against the encoder they are then encoded with.
    const encoder = this.tableEncoder(runId)
    const problem = input.sampleId === undefined ? rowProblem(encoder, values) : null
    if (problem) throw new AppError('INVALID_ARGUMENT', problem, 'values')
    const [out] = (await this.predictInputs(runId, { type: 'features', data: featureBytes(encoder, [values]) }, 1)) as [number[]]
    if (dataset.task === 'regression') return { values, predicted: null, value: out[0]!, trueClass: null, trueValue, classes: [] }
    return { values, predicted: version.classNames[argmax(out)]!, value: null, trueClass, trueValue: null, classes: version.classNames.map((name, i) => ({ name, probability: out[i]! })) }
  }

  /** A completed image-classification run with final weights, or an error saying why not. */
  private imageClassifier(runId: string, purpose: string): { run: RunRow; dataset: ReturnType<DatasetsService['row']>; version: DatasetVersion } {
    const run = this.completedRun(runId, purpose)
    const version = this.datasets.version(run.dataset_version_id)
    const dataset = this.datasets.row(version.datasetId)
    if (dataset.kind !== 'image' || dataset.task !== 'classification') throw new AppError('INVALID_STATE', `Only image classification runs can ${purpose}`)
    return { run, dataset, version }
  }

  finalWeights(runId: string): string {
    return join(this.blobs.dataDir, 'runs', runId, 'checkpoints', 'final')
  }

  /** A completed run with final weights — what predicting and exporting need — or an error saying why not. */
  completedRun(runId: string, purpose: string): RunRow {
    const run = this.row(runId)
    if (run.status !== 'completed') throw new AppError('INVALID_STATE', `Only a completed run can ${purpose}; “${run.name}” is ${run.status}`)
    if (!existsSync(join(this.finalWeights(runId), 'checkpoint.json'))) throw new AppError('INVALID_STATE', `“${run.name}” was trained before final weights were kept; train it again to ${purpose}`)
    return run
  }

  /** How the run's inputs were prepared: per-channel pixel mean and deviation, or the table encoder. */
  inputPreparation(runId: string): { kind: 'image'; mean: number[]; std: number[] } | { kind: 'table'; encoder: TableEncoder } {
    const table = join(this.blobs.dataDir, 'runs', runId, 'preprocessing.json')
    if (existsSync(table)) return { kind: 'table', encoder: (JSON.parse(readFileSync(table, 'utf8')) as { encoder: TableEncoder }).encoder }
    const { state } = JSON.parse(readFileSync(join(this.finalWeights(runId), 'checkpoint.json'), 'utf8')) as { state: LoopState }
    const spec = JSON.parse(this.row(runId).spec_json) as ModelSpec
    const channels = spec.inputShape[2] ?? 1
    const backbone = backboneConfig(spec)
    if (backbone) {
      // The backbone's own scaling, p × scale + offset, as the (p − mean) / std that preprocessing.json documents.
      const { scale, offset } = backbones[backbone.backbone].normalization
      return { kind: 'image', mean: Array<number>(channels).fill(-offset / scale), std: Array<number>(channels).fill(1 / scale) }
    }
    return state.normalization ? { kind: 'image', ...state.normalization } : { kind: 'image', mean: Array<number>(channels).fill(0), std: Array<number>(channels).fill(255) }
  }

  /** Decodes and resizes images as the training cache does: uint8 pixels, N × h × w × c. */
  async imagePixels(spec: ModelSpec, images: Buffer[]): Promise<Buffer> {
    return Buffer.concat(await Promise.all(images.map((data) => modelInputPixels(data, spec.inputShape as [number, number, 1 | 3]))))
  }

  private async predictImages(run: RunRow, images: Buffer[]): Promise<number[][]> {
    return this.predictInputs(run.id, { type: 'pixels', data: await this.imagePixels(JSON.parse(run.spec_json) as ModelSpec, images) }, images.length)
  }

  /**
   * Predicts with a completed run's final weights: images as uint8 pixels prepared by imagePixels, or table
   * rows encoded with the run's encoder.
   */
  async predictInputs(runId: string, inputs: { type: 'pixels' | 'features'; data: Buffer }, count: number): Promise<number[][]> {
    const run = this.row(runId)
    const task = this.datasets.row(this.datasets.version(run.dataset_version_id).datasetId).task
    const path = join(this.blobs.dataDir, 'runs', run.id, `predict-${randomUUID()}.bin`)
    writeFileSync(path, inputs.data)
    try {
      const answer = await this.oneOff({ type: 'predict', job: { spec: JSON.parse(run.spec_json) as ModelSpec, weightsDir: this.finalWeights(run.id), inputs: { path, type: inputs.type }, count, task } }, 'predicted', 'Predicting')
      return answer.probabilities
    } finally {
      rmSync(path, { force: true })
    }
  }

  /** Encodes table rows with the run's encoder, as training did. */
  encodeTableRows(runId: string, rows: Array<Record<string, string | number | null>>): Buffer {
    return featureBytes(this.tableEncoder(runId), rows)
  }

  /** The encoder a table run was trained with (from its preprocessing.json). */
  private tableEncoder(runId: string): TableEncoder {
    const prep = this.inputPreparation(runId)
    if (prep.kind !== 'table') throw new AppError('INVALID_STATE', 'This run was not trained on a table')
    return prep.encoder
  }


  /** Writes an export's model files from a run's final weights (in a trainer process). */
  async writeModelFiles(job: ExportJob): Promise<Record<string, string[]>> {
    return (await this.oneOff({ type: 'export', job }, 'exported', 'Writing the model files')).files
  }

  /** Runs one job in its own trainer process and resolves with its answer. */
  private oneOff<T extends 'predicted' | 'exported'>(message: ToTrainer, answer: T, what: string): Promise<Extract<FromTrainer, { type: T }>> {
    return new Promise((resolve, reject) => {
      const child = this.launch()
      let answered = false
      child.onMessage((m) => {
        if (m.type === answer) {
          answered = true
          resolve(m as Extract<FromTrainer, { type: T }>)
        } else if (m.type === 'failed') {
          answered = true
          reject(new AppError('INTERNAL', `${what} failed: ${m.message}`))
        }
      })
      child.onExit((code, signal) => {
        if (!answered) reject(new AppError('INTERNAL', `${what} ended unexpectedly: the process exited (${signal ?? `exit code ${code}`})`))
      })
      child.send(message)
    })
  }

  // ---- control -------------------------------------------------------------------------------------

  pause(runId: string): RunSummary {
    const r = this.row(runId)
    const live = this.live.get(runId)
    if (!live || r.status !== 'running') throw new AppError('INVALID_STATE', `Only a running run can be paused; this one is ${r.status}`)
    live.child.send({ type: 'pause' })
    return this.summary(r)
  }

  resume(runId: string): RunSummary {
    const r = this.row(runId)
    if (r.folds !== null) {
      if (this.preparing.has(runId)) throw new AppError('INVALID_STATE', 'This cross-validation is still running')
      this.runFoldsInBackground(runId)
      return this.summary(this.row(runId))
    }
    const live = this.live.get(runId)
    if (live && r.status === 'paused') {
      live.child.send({ type: 'resume' })
      return this.summary(r)
    }
    if (r.status !== 'interrupted') throw new AppError('INVALID_STATE', `Only a paused or interrupted run can be resumed; this one is ${r.status}`)
    const last = this.adoptCheckpoints(runId)
    this.db.prepare("UPDATE runs SET status = 'queued', status_reason = NULL, finished_at = NULL WHERE id = ?").run(runId)
    this.events.emit('training.statusChanged', { runId, projectId: r.project_id, status: 'queued', reason: null })
    this.launchInBackground(runId, last ? { epoch: last.epoch, dir: join(last.path, '..') } : null)
    return this.summary(this.row(runId))
  }

  /** Stops a run; `reason` replaces "Stopped by the user" when something else stopped it. */
  stop(runId: string, reason?: string): RunSummary {
    const r = this.row(runId)
    if (r.folds !== null && this.preparing.has(runId)) {
      this.stoppingFolds.add(runId)
      const current = this.children(runId).find((c) => this.live.has(c.id) || this.preparing.has(c.id))
      if (current && this.live.has(current.id)) this.stop(current.id)
      return this.summary(r)
    }
    const live = this.live.get(runId)
    if (!live) {
      if (r.status === 'interrupted') {
        this.setStatus(runId, 'stopped', 'Stopped by the user', { finished: true })
        return this.summary(this.row(runId))
      }
      throw new AppError('INVALID_STATE', `This run is not training; it is ${r.status}`)
    }
    if (live.notResponding) {
      // It would never read a stop message: end the process; its checkpoints stay for Resume.
      live.interruptReason = 'Stopped while the trainer was not responding; Resume continues from the last checkpoint'
      live.child.kill()
      return this.summary(r)
    }
    live.stopping = true
    if (reason) live.stopReason = reason
    live.child.send({ type: 'stop' })
    return this.summary(r)
  }

  /** Resolves when the run's trainer process has ended (for tests and shutdown). */
  async whenDone(runId: string): Promise<RunSummary> {
    await this.preparing.get(runId)
    await this.live.get(runId)?.done
    return this.summary(this.row(runId))
  }

  /** For tests: kills the trainer as a crash would. */
  killTrainer(runId: string): void {
    this.live.get(runId)?.child.kill()
  }

  /** The trainer process of a live run, for tests that freeze it. */
  trainerPid(runId: string): number | undefined {
    return this.live.get(runId)?.child.pid
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.preparing.values())
    const lives = [...this.live.values()]
    for (const l of lives) l.child.kill()
    await Promise.all(lives.map((l) => l.done))
  }
}
