/**
 * The run store: the one owner of the runs, metrics, latest_metrics, evaluations, predictions and
 * artifacts tables. Row ↔ entity mapping, every read query, and the writes that must be atomic —
 * metrics append-only with latest_metrics moved in the same transaction, an epoch's checkpoint files with
 * its figures, a split's predictions with its evaluation (MLflow's tracking-store habit). Other services
 * read runs through here (or through TrainingService), never with their own SQL.
 */
import { randomUUID } from 'node:crypto'
import type { ClusterJobInfo } from '../../../shared/cluster'
import { analyzeStack, storedSpec } from '../../../shared/model/registry'
import type { ModelSpec } from '../../../shared/model/types'
import type {
  Evaluation,
  Hyperparameters,
  MetricPoint,
  PredictionExample,
  PredictionRow,
  RunComparison,
  RunDetail,
  RunStatus,
  RunSummary,
} from '../../../shared/training'
import { versionName } from '../../../shared/words'
import type { DatasetsService } from '../datasets/datasets-service'
import { notFound } from '../errors'
import { classificationMetrics, regressionMetrics } from '../evaluation/metrics'
import type { Db } from '../store/database'
import type { FoundCheckpoint } from './checkpoint'

export interface RunRow {
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
  target_json: string | null
}

/** What a new run is recorded with (queued). */
export interface NewRun {
  projectId: string
  datasetVersionId: string
  name: string
  spec: ModelSpec
  hyperparameters: Hyperparameters
  seed: number
  parentRunId: string | null
  folds: number | null
  fold: number | null
  sweepId: string | null
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
  const out: Record<string, string> = {
    data: versionName(versionNumber),
    seed: String(run.seed),
    'input shape': `(${run.spec.inputShape.join(', ')})`,
  }
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x)
    else out[prefix] = Array.isArray(v) ? v.join('×') : String(v)
  }
  walk('', run.hyperparameters)
  out.layers = String(run.spec.layers.length)
  run.spec.layers.forEach((l, i) => walk(`layer ${i + 1} ${l.type}`, l.config))
  return out
}

export class RunRecords {
  constructor(
    private readonly db: Db,
    private readonly datasets: DatasetsService,
    private readonly now: () => number = Date.now,
  ) {}

  // ---- reading ---------------------------------------------------------------------------------------

  /** A run that is not deleted, or a not-found error. */
  row(runId: string): RunRow {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ? AND deleted_at IS NULL').get(runId) as
      RunRow | undefined
    if (!row) throw notFound('Run', runId)
    return row
  }

  /** A run's name, deleted or not; null when there is no such run. */
  name(runId: string): string | null {
    return (
      (this.db.prepare('SELECT name FROM runs WHERE id = ?').get(runId) as { name: string } | undefined)?.name ?? null
    )
  }

  /** A cluster run's job; null for a run on this computer. */
  target(runId: string): ClusterJobInfo | null {
    const row = this.db.prepare('SELECT target_json FROM runs WHERE id = ?').get(runId) as
      { target_json: string | null } | undefined
    return row?.target_json ? clusterJob(JSON.parse(row.target_json) as ClusterJobInfo & { offset?: number }) : null
  }

  /** The fold runs of a cross-validation, in fold order. */
  children(parentId: string): RunRow[] {
    return this.db
      .prepare('SELECT * FROM runs WHERE parent_run_id = ? AND fold IS NOT NULL AND deleted_at IS NULL ORDER BY fold')
      .all(parentId) as RunRow[]
  }

  private latest(runId: string): Record<string, number | null> {
    const rows = this.db.prepare('SELECT key, value FROM latest_metrics WHERE run_id = ?').all(runId) as Array<{
      key: string
      value: number | null
    }>
    return Object.fromEntries(rows.map((r) => [r.key, r.value]))
  }

  private testAccuracy(runId: string, folds: number | null = null): number | null {
    if (folds !== null) {
      const children = this.db
        .prepare('SELECT id FROM runs WHERE parent_run_id = ? AND fold IS NOT NULL')
        .all(runId) as Array<{ id: string }>
      const accs = children.map((c) => this.testAccuracy(c.id)).filter((a): a is number => a !== null)
      return accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : null
    }
    const row = this.db
      .prepare(
        "SELECT metrics_json FROM evaluations WHERE run_id = ? ORDER BY CASE split WHEN 'test' THEN 0 ELSE 1 END LIMIT 1",
      )
      .get(runId) as { metrics_json: string } | undefined
    if (!row) return null
    const e = JSON.parse(row.metrics_json) as Evaluation
    return e.kind === 'classification' ? e.accuracy : null
  }

  summary(r: RunRow): RunSummary {
    const hp = JSON.parse(r.hyperparameters_json) as Hyperparameters
    const spec = storedSpec(r.spec_json)
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
      target: r.target_json ? clusterJob(JSON.parse(r.target_json) as ClusterJobInfo & { offset?: number }) : null,
    }
  }

  get(runId: string): RunDetail {
    const r = this.row(runId)
    return {
      ...this.summary(r),
      spec: storedSpec(r.spec_json),
      hyperparameters: JSON.parse(r.hyperparameters_json) as Hyperparameters,
    }
  }

  list(projectId: string, offset = 0, limit = 100): { items: RunSummary[]; total: number } {
    const { n } = this.db
      .prepare('SELECT count(*) AS n FROM runs WHERE project_id = ? AND deleted_at IS NULL')
      .get(projectId) as { n: number }
    const rows = this.db
      .prepare(
        'SELECT * FROM runs WHERE project_id = ? AND deleted_at IS NULL ORDER BY created_at DESC LIMIT ? OFFSET ?',
      )
      .all(projectId, limit, offset) as RunRow[]
    return { items: rows.map((r) => this.summary(r)), total: n }
  }

  metrics(runId: string, keys?: string[]): Record<string, MetricPoint[]> {
    this.row(runId)
    const rows = (
      keys && keys.length > 0
        ? this.db
            .prepare(
              `SELECT key, step, epoch, value, wall_time FROM metrics WHERE run_id = ? AND key IN (${keys.map(() => '?').join(',')}) ORDER BY key, step`,
            )
            .all(runId, ...keys)
        : this.db
            .prepare('SELECT key, step, epoch, value, wall_time FROM metrics WHERE run_id = ? ORDER BY key, step')
            .all(runId)
    ) as Array<{ key: string; step: number; epoch: number; value: number | null; wall_time: number }>
    const out: Record<string, MetricPoint[]> = {}
    for (const r of rows)
      (out[r.key] ??= []).push({ step: r.step, epoch: r.epoch, value: r.value, wallTime: r.wall_time })
    return out
  }

  evaluation(runId: string): { validation: Evaluation | null; test: Evaluation | null } {
    this.row(runId)
    const rows = this.db.prepare('SELECT split, metrics_json FROM evaluations WHERE run_id = ?').all(runId) as Array<{
      split: 'validation' | 'test'
      metrics_json: string
    }>
    const get = (s: string): Evaluation | null => {
      const r = rows.find((x) => x.split === s)
      return r ? (JSON.parse(r.metrics_json) as Evaluation) : null
    }
    return { validation: get('validation'), test: get('test') }
  }

  predictions(
    runId: string,
    split: 'validation' | 'test',
    offset = 0,
    limit = 200,
  ): { items: PredictionRow[]; total: number } {
    this.row(runId)
    const { n } = this.db
      .prepare('SELECT count(*) AS n FROM predictions WHERE run_id = ? AND split = ?')
      .get(runId, split) as { n: number }
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
    let where = 'run_id = ? AND split = ? AND true_index IS NOT NULL'
    const params: Array<string | number> = [runId, split]
    if (filter.trueIndex !== undefined) {
      where += ' AND true_index = ?'
      params.push(filter.trueIndex)
    }
    if (filter.predictedIndex !== undefined) {
      where += ' AND predicted_index = ?'
      params.push(filter.predictedIndex)
    }
    if (filter.trueIndex === undefined || filter.predictedIndex === undefined)
      where += ' AND true_index != predicted_index'
    if (!filter.includeChecked) where += ' AND checked = 0'
    const { n } = this.db.prepare(`SELECT count(*) AS n FROM predictions WHERE ${where}`).get(...params) as {
      n: number
    }
    const rows = this.db
      .prepare(
        `SELECT sample_id, true_index, predicted_index, confidence, probabilities, checked FROM predictions WHERE ${where} ORDER BY confidence DESC, sample_id LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset) as Array<{
      sample_id: number
      true_index: number
      predicted_index: number
      confidence: number
      probabilities: string
      checked: number
    }>
    const samples = this.datasets.samplesById(rows.map((x) => x.sample_id))
    return {
      total: n,
      classNames,
      items: rows.flatMap((x) => {
        const s = samples.get(x.sample_id)
        if (!s) return []
        return [
          {
            sampleId: x.sample_id,
            hash: s.hash,
            name: s.name,
            trueIndex: x.true_index,
            predictedIndex: x.predicted_index,
            confidence: x.confidence,
            probabilities: JSON.parse(x.probabilities) as number[],
            currentClassId: s.classId,
            checked: x.checked === 1,
            values: s.values,
          },
        ]
      }),
    }
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

  /** The newest checkpoint recorded for the run (its checkpoint.json), if any. */
  lastCheckpoint(runId: string): { epoch: number; path: string } | undefined {
    return this.db
      .prepare(
        "SELECT epoch, path FROM artifacts WHERE run_id = ? AND kind = 'checkpoint' AND path LIKE '%checkpoint.json' ORDER BY epoch DESC LIMIT 1",
      )
      .get(runId) as { epoch: number; path: string } | undefined
  }

  // ---- writing ---------------------------------------------------------------------------------------

  /** At start-up: runs that were going when the app stopped are interrupted; they can be resumed. */
  markInterrupted(except: readonly string[] = []): void {
    this.db
      .prepare(
        `UPDATE runs SET status = 'interrupted', status_reason = 'ModelBench closed while this run was training' WHERE status IN ('queued', 'running', 'paused') AND id NOT IN (SELECT value FROM json_each(?))`,
      )
      .run(JSON.stringify(except))
  }

  /** Runs whose Slurm job was submitted and not yet seen to end: a restarted app follows them again. */
  onClusters(): RunRow[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM runs WHERE status IN ('queued', 'running', 'paused') AND target_json IS NOT NULL AND deleted_at IS NULL",
        )
        .all() as RunRow[]
    ).filter((r) => (JSON.parse(r.target_json!) as ClusterJobInfo).jobId !== null)
  }

  /** What is known of a cluster run's job (with how far its messages were read). */
  writeTarget(runId: string, target: (ClusterJobInfo & { offset: number }) | null): void {
    this.db.prepare('UPDATE runs SET target_json = ? WHERE id = ?').run(target ? JSON.stringify(target) : null, runId)
  }

  /** How many runs the project has had, deleted ones included (for "Run N"). */
  count(projectId: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM runs WHERE project_id = ?').get(projectId) as { n: number }).n
  }

  /** Records a new run, queued; returns its id. */
  insert(run: NewRun): string {
    const id = randomUUID()
    this.db
      .prepare(
        `INSERT INTO runs (id, project_id, dataset_version_id, name, spec_json, hyperparameters_json, seed, status, parent_run_id, folds, fold, sweep_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        run.projectId,
        run.datasetVersionId,
        run.name,
        JSON.stringify(run.spec),
        JSON.stringify(run.hyperparameters),
        run.seed,
        run.parentRunId,
        run.folds,
        run.fold,
        run.sweepId,
        this.now(),
      )
    return id
  }

  /** Sets the status and its reason; `started` sets the start time once, `finished` the end time (else clears it). */
  writeStatus(
    runId: string,
    status: RunStatus,
    reason: string | null,
    extra: { started?: boolean; finished?: boolean } = {},
  ): void {
    const t = this.now()
    this.db
      .prepare(
        `UPDATE runs SET status = ?, status_reason = ?, started_at = CASE WHEN ? THEN coalesce(started_at, ?) ELSE started_at END,
         finished_at = CASE WHEN ? THEN ? ELSE NULL END WHERE id = ?`,
      )
      .run(status, reason, extra.started ? 1 : 0, t, extra.finished ? 1 : 0, t, runId)
  }

  /** Changes only the reason shown with the status. */
  writeReason(runId: string, reason: string | null): void {
    this.db.prepare('UPDATE runs SET status_reason = ? WHERE id = ?').run(reason, runId)
  }

  /** Back to queued, to be launched again (a resume after an interruption). */
  requeue(runId: string): void {
    this.db
      .prepare("UPDATE runs SET status = 'queued', status_reason = NULL, finished_at = NULL WHERE id = ?")
      .run(runId)
  }

  writeEngine(runId: string, engine: unknown): void {
    this.db.prepare('UPDATE runs SET engine_json = ? WHERE id = ?').run(JSON.stringify(engine), runId)
  }

  update(runId: string, patch: { name?: string; tags?: string[]; notes?: string }): RunSummary {
    this.row(runId)
    if (patch.name !== undefined) this.db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(patch.name, runId)
    if (patch.tags !== undefined)
      this.db.prepare('UPDATE runs SET tags_json = ? WHERE id = ?').run(JSON.stringify([...new Set(patch.tags)]), runId)
    if (patch.notes !== undefined) this.db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(patch.notes, runId)
    return this.summary(this.row(runId))
  }

  softDelete(runId: string): void {
    this.db.prepare('UPDATE runs SET deleted_at = ? WHERE id = ?').run(this.now(), runId)
  }

  restore(runId: string): RunSummary {
    if (!this.db.prepare('SELECT id FROM runs WHERE id = ?').get(runId)) throw notFound('Run', runId)
    this.db.prepare('UPDATE runs SET deleted_at = NULL WHERE id = ?').run(runId)
    return this.summary(this.row(runId))
  }

  markChecked(runId: string, split: 'validation' | 'test', sampleId: number, checked: boolean): { checked: boolean } {
    this.row(runId)
    const info = this.db
      .prepare('UPDATE predictions SET checked = ? WHERE run_id = ? AND split = ? AND sample_id = ?')
      .run(checked ? 1 : 0, runId, split, sampleId)
    if (info.changes === 0) throw notFound('Prediction of sample', String(sampleId))
    return { checked }
  }

  /** Appends metric points (once per run, key and step) and moves latest_metrics in the same transaction. NaN is stored as a flag. */
  recordMetrics(runId: string, step: number, epoch: number, values: Record<string, number>): void {
    const t = this.now()
    // Idempotent: a step recorded before a crash and replayed after the resume stays one point.
    const insert = this.db.prepare(
      'INSERT INTO metrics (run_id, key, step, epoch, value, is_nan, wall_time) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, key, step) DO NOTHING',
    )
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

  /** Batch figures, several steps in one transaction. */
  recordBatches(
    runId: string,
    epoch: number,
    batches: ReadonlyArray<{ step: number; loss: number; accuracy: number | null }>,
  ): void {
    this.db.transaction(() => {
      for (const b of batches)
        this.recordMetrics(runId, b.step, epoch, {
          'batch/loss': b.loss,
          ...(b.accuracy !== null ? { 'batch/accuracy': b.accuracy } : {}),
        })
    })()
  }

  /** An epoch's figures, its checkpoint's files and the run's epoch count, in one transaction. */
  recordEpoch(runId: string, c: FoundCheckpoint): void {
    this.db.transaction(() => {
      this.recordMetrics(runId, c.step, c.epoch, {
        ...c.report.metrics,
        samples_per_second: c.report.samplesPerSecond,
        epoch_seconds: c.report.seconds,
      })
      this.db.prepare('UPDATE runs SET epochs_done = max(epochs_done, ?) WHERE id = ?').run(c.epoch, runId)
      this.recordArtifacts(runId, 'checkpoint', c.epoch, c.files)
    })()
  }

  /** Files that belong to the run (a checkpoint's, an export's), hashed. */
  recordArtifacts(
    runId: string,
    kind: 'checkpoint' | 'export',
    epoch: number | null,
    files: ReadonlyArray<{ path: string; sha256: string; bytes: number }>,
  ): void {
    const insert = this.db.prepare(
      'INSERT INTO artifacts (id, run_id, kind, epoch, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.db.transaction(() => {
      for (const f of files) insert.run(randomUUID(), runId, kind, epoch, f.path, f.sha256, f.bytes, this.now())
    })()
  }

  /** A split's predictions and the evaluation computed from them, in one transaction. */
  recordPredictions(r: RunRow, split: 'validation' | 'test', rows: PredictionRow[], loss: number | null): void {
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
        insert.run(
          r.id,
          split,
          p.sampleId,
          p.trueIndex,
          p.predictedIndex,
          p.confidence,
          p.probabilities ? JSON.stringify(p.probabilities) : null,
          p.trueValue,
          p.predictedValue,
        )
      }
      this.db
        .prepare('INSERT OR REPLACE INTO evaluations (run_id, split, metrics_json, created_at) VALUES (?, ?, ?, ?)')
        .run(r.id, split, JSON.stringify(evaluation), this.now())
    })()
  }
}

/** The job as the run shows it (without the app's read offset). */
function clusterJob(t: ClusterJobInfo & { offset?: number }): ClusterJobInfo {
  const { offset: _offset, ...job } = t
  return job
}
