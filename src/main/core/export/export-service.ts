/**
 * Exports for deployment. An export writes a completed run's model (TF.js and/or ONNX, in a trainer
 * process), labels.json and preprocessing.json, then checks each format in a process of its own that
 * loads the folder with the format's official runtime (see export-runtime/) and predicts up to 100 test
 * inputs; the app predicts the same inputs with its own engine. A format is verified only when every top
 * class matches and every probability is within 1e-4. MODEL_CARD.md and metadata.json come last, with the
 * check's result. Every export is recorded in SQLite with its outcome, and its files, hashed, as the
 * run's export artifacts.
 */
import { createHash, randomUUID } from 'node:crypto'
import { fork } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import type { DatasetVersion } from '../../../shared/contract'
import type { ExportFormat, ExportFormatResult, ExportRecord, ExportStatus } from '../../../shared/export'
import { exportFormatNames, exportFormats, verifyInputCount, verifyTolerance } from '../../../shared/export'
import { backbones } from '../../../shared/model/backbones'
import { backboneConfig } from '../../../shared/model/registry'
import type { Preprocessing, TableRow } from '../../export-runtime/runtime'
import type { VerifyJob, VerifyResult } from '../../export-runtime/verify'
import type { BlobStore } from '../datasets/blob-store'
import type { DatasetsService } from '../datasets/datasets-service'
import { fsErrorReason } from '../datasets/image-file'
import { AppError, notFound } from '../errors'
import { isSystemPath, refuseDataDir, resolveReal } from '../safe-paths'
import { argmax } from '../evaluation/metrics'
import type { EventBus } from '../events'
import type { Db } from '../store/database'
import type { ProjectsService } from '../projects'
import type { Predictor } from '../training/predictor'
import type { RunRecords } from '../training/run-records'
import type { RunDetail } from '../../../shared/training'
import { modelCard, modelMetadata, type CardInput } from './model-card'
import { messageOf } from '../../../shared/messages'

/** Runs the export check (`verify-export <job.json> <result.json>`) in a separate process; resolves when it exits. */
export type VerifyLauncher = (jobFile: string, resultFile: string) => Promise<{ code: number | null; output: string }>

/** Keeps the last 4,000 characters a check process printed, to explain a check that gave no answer. */
export function outputTail(child: {
  stdout?: NodeJS.ReadableStream | null
  stderr?: NodeJS.ReadableStream | null
}): () => string {
  let output = ''
  const collect = (chunk: Buffer | string): void => {
    output = (output + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  return () => output
}

export function forkVerifier(entry: string, execArgv: string[] = []): VerifyLauncher {
  return (jobFile, resultFile) =>
    new Promise((resolvePromise) => {
      const child = fork(entry, [jobFile, resultFile], { execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
      const output = outputTail(child)
      child.on('error', (err) => resolvePromise({ code: null, output: err.message }))
      child.on('exit', (code) => resolvePromise({ code, output: output() }))
    })
}

interface ExportRow {
  id: string
  run_id: string
  project_id: string
  dir: string
  formats_json: string
  status: ExportStatus
  error: string | null
  result_json: string | null
  created_at: number
  finished_at: number | null
}

/** "Digits CNN #3" → "digits-cnn-3" */
function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'model'
  )
}

export class ExportService {
  private readonly running = new Map<string, Promise<void>>()

  constructor(
    private readonly db: Db,
    private readonly runs: RunRecords,
    private readonly predictor: Predictor,
    private readonly datasets: DatasetsService,
    private readonly projects: ProjectsService,
    private readonly blobs: BlobStore,
    private readonly events: EventBus,
    private readonly verifier: VerifyLauncher,
    private readonly appVersion: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** At start-up: an export the app was closed in the middle of cannot finish; say so. */
  recoverInterrupted(): void {
    this.db
      .prepare(
        "UPDATE exports SET status = 'failed', error = 'ModelBench closed before the export finished', finished_at = ? WHERE status = 'running'",
      )
      .run(this.now())
  }

  private record(r: ExportRow): ExportRecord {
    const runName = this.runs.name(r.run_id)
    return {
      id: r.id,
      runId: r.run_id,
      runName: runName ?? '(deleted run)',
      projectId: r.project_id,
      dir: r.dir,
      formats: JSON.parse(r.formats_json) as ExportFormat[],
      status: r.status,
      error: r.error,
      results: r.result_json ? (JSON.parse(r.result_json) as ExportFormatResult[]) : [],
      createdAt: r.created_at,
      finishedAt: r.finished_at,
    }
  }

  get(exportId: string): ExportRecord {
    const r = this.db.prepare('SELECT * FROM exports WHERE id = ?').get(exportId) as ExportRow | undefined
    if (!r) throw notFound('Export', exportId)
    return this.record(r)
  }

  list(projectId: string): ExportRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM exports WHERE project_id = ? ORDER BY created_at DESC LIMIT 200')
        .all(projectId) as ExportRow[]
    ).map((r) => this.record(r))
  }

  defaultDir(runId: string): string {
    const run = this.runs.get(runId)
    const stamp = new Date(this.now()).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')
    return join(this.blobs.dataDir, 'exports', `${slug(run.name)}-${stamp}`)
  }

  /** Checks the run and the destination now (errors are immediate), then exports in the background. */
  start(runId: string, formats: ExportFormat[], dir?: string): ExportRecord {
    const run = this.runs.get(runId)
    if (run.folds !== null)
      throw new AppError(
        'INVALID_STATE',
        `“${run.name}” is a cross-validation summary with no model of its own; export one of its folds`,
      )
    this.predictor.completedRun(runId, 'be exported')
    const outDir = dir ? (isAbsolute(dir) ? dir : resolve(dir)) : this.defaultDir(runId)
    const created = prepareDestination(outDir, this.blobs.dataDir)
    const id = randomUUID()
    const ordered = exportFormats.filter((f) => formats.includes(f))
    this.db
      .prepare(
        "INSERT INTO exports (id, run_id, project_id, dir, formats_json, status, created_at) VALUES (?, ?, ?, ?, ?, 'running', ?)",
      )
      .run(id, runId, run.projectId, outDir, JSON.stringify(ordered), this.now())
    const work = this.run(id, runId, ordered, outDir).catch((err: unknown) => {
      const message = messageOf(err)
      // Nothing half-written stays behind: the folder was new or empty.
      if (created) rmSync(outDir, { recursive: true, force: true })
      else for (const f of readdirSync(outDir)) rmSync(join(outDir, f), { recursive: true, force: true })
      this.finish(id, runId, run.projectId, 'failed', message, [])
    })
    this.running.set(
      id,
      work.finally(() => this.running.delete(id)),
    )
    return this.get(id)
  }

  async whenDone(exportId: string): Promise<ExportRecord> {
    await this.running.get(exportId)
    return this.get(exportId)
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.running.values())
  }

  private progress(id: string, runId: string, projectId: string, fraction: number, step: string): void {
    this.events.emit('exports.progressed', { exportId: id, projectId, runId, fraction, step })
  }

  private finish(
    id: string,
    runId: string,
    projectId: string,
    status: ExportStatus,
    error: string | null,
    results: ExportFormatResult[],
  ): void {
    this.db
      .prepare('UPDATE exports SET status = ?, error = ?, result_json = ?, finished_at = ? WHERE id = ?')
      .run(status, error, JSON.stringify(results), this.now(), id)
    this.events.emit('exports.finished', { exportId: id, projectId, runId, status })
  }

  private async run(id: string, runId: string, formats: ExportFormat[], outDir: string): Promise<void> {
    const run = this.runs.get(runId)
    const step = (fraction: number, text: string): void => this.progress(id, runId, run.projectId, fraction, text)
    const version = this.datasets.version(run.datasetVersionId)
    const dataset = this.datasets.row(version.datasetId)
    const task = dataset.task
    const labels = task === 'classification' ? version.classNames : []
    const last = run.spec.layers.at(-1)
    const activation = last && 'activation' in last.config ? last.config.activation : 'linear'
    const output: Preprocessing['output'] =
      task === 'regression' ? 'linear' : activation === 'sigmoid' ? 'sigmoid' : 'softmax'
    const prep = this.predictor.inputPreparation(runId)
    const backbone = backboneConfig(run.spec)
    const preprocessing: Preprocessing =
      prep.kind === 'image'
        ? {
            kind: 'image',
            inputShape: run.spec.inputShape as [number, number, number],
            colorMode: run.spec.inputShape[2] === 1 ? 'grayscale' : 'rgb',
            transparency: 'white',
            resize: 'stretch',
            mean: prep.mean,
            std: prep.std,
            output,
            ...(backbone
              ? {
                  note: `The model starts with the pretrained backbone ${backbones[backbone.backbone].label}: every image is stretched to ${run.spec.inputShape.join('×')}, grey images are copied into three channels, pixel values are divided by 255.`,
                }
              : {}),
          }
        : { kind: 'table', columns: prep.encoder.columns, featureCount: prep.encoder.featureCount, output }

    step(0.05, 'Writing labels and preprocessing')
    writeFileSync(join(outDir, 'labels.json'), JSON.stringify(labels, null, 1))
    writeFileSync(join(outDir, 'preprocessing.json'), JSON.stringify(preprocessing, null, 1))

    step(0.1, `Writing ${formats.map((f) => exportFormatNames[f]).join(' and ')}`)
    const files = (await this.predictor.writeModelFiles({
      spec: run.spec,
      weightsDir: this.predictor.finalWeights(runId),
      outDir,
      formats,
      producerVersion: this.appVersion,
      metadata: {
        labels: JSON.stringify(labels),
        preprocessing: JSON.stringify(preprocessing),
        run_id: runId,
        dataset_version_hash: version.hash,
      },
    })) as Partial<Record<ExportFormat, string[]>>

    step(0.35, 'Predicting the check inputs with the app')
    const inputs = this.checkInputs(run.datasetVersionId, dataset.kind)
    const tmp = await mkdtemp(join(this.blobs.dataDir, 'tmp-export-'))
    const results: ExportFormatResult[] = []
    try {
      let job: (format: ExportFormat) => VerifyJob
      let expected: number[][]
      if (inputs.kind === 'image') {
        const pixels = await this.predictor.imagePixels(run.spec, inputs.images)
        const pixelsFile = join(tmp, 'pixels.u8')
        await writeFile(pixelsFile, pixels)
        expected = await this.predictor.predictInputs(runId, { type: 'pixels', data: pixels }, inputs.images.length)
        job = (format) => ({ dir: outDir, format, kind: 'image', pixels: pixelsFile, count: inputs.images.length })
      } else {
        expected = await this.predictor.predictInputs(
          runId,
          { type: 'features', data: this.predictor.encodeTableRows(runId, inputs.rows) },
          inputs.rows.length,
        )
        job = (format) => ({ dir: outDir, format, kind: 'table', rows: inputs.rows })
      }
      for (const [i, format] of formats.entries()) {
        step(0.5 + (0.4 * i) / formats.length, `Checking ${exportFormatNames[format]} with its own runtime`)
        results.push(await this.verify(tmp, job(format), expected, task, files[format] ?? []))
      }
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }

    step(0.95, 'Writing the model card')
    const card = this.cardInput(run, version, task, labels, dataset.target_column, preprocessing, files, results)
    writeFileSync(join(outDir, 'metadata.json'), JSON.stringify(modelMetadata(card), null, 1))
    writeFileSync(join(outDir, 'MODEL_CARD.md'), modelCard(card))
    this.recordArtifacts(runId, outDir)
    const allVerified = results.every((r) => r.verified)
    this.finish(
      id,
      runId,
      run.projectId,
      allVerified ? 'verified' : 'unverified',
      allVerified ? null : (results.find((r) => !r.verified)?.error ?? null),
      results,
    )
  }

  /** Every file of the export, hashed, as the run's export artifacts. */
  private recordArtifacts(runId: string, outDir: string): void {
    const files = readdirSync(outDir).map((name) => {
      const data = readFileSync(join(outDir, name))
      return { path: join(outDir, name), sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length }
    })
    this.runs.recordArtifacts(runId, 'export', null, files)
  }

  /** Up to 100 inputs: the test split first, topped up from validation and then train when it is smaller. */
  private checkInputs(
    versionId: string,
    kind: 'image' | 'table',
  ): { kind: 'image'; images: Buffer[] } | { kind: 'table'; rows: TableRow[] } {
    const rows = this.datasets.versionSamples(versionId, { testFirst: true, limit: verifyInputCount })
    if (rows.length === 0)
      throw new AppError('INVALID_STATE', 'The dataset version has no samples to check the export with')
    if (kind === 'image') return { kind, images: rows.map((r) => readFileSync(this.blobs.blobPath(r.hash))) }
    return { kind, rows: rows.map((r) => (r.values ?? {}) as TableRow) }
  }

  private async verify(
    tmp: string,
    job: VerifyJob,
    expected: number[][],
    task: 'classification' | 'regression',
    files: string[],
  ): Promise<ExportFormatResult> {
    const jobFile = join(tmp, `verify-${job.format}.json`)
    const resultFile = join(tmp, `verify-${job.format}-result.json`)
    await writeFile(jobFile, JSON.stringify(job))
    const base = { format: job.format, files, checked: expected.length }
    const { code, output } = await this.verifier(jobFile, resultFile)
    let result: VerifyResult
    try {
      result = JSON.parse(readFileSync(resultFile, 'utf8')) as VerifyResult
    } catch {
      return {
        ...base,
        runtime: '',
        sameTop1: null,
        maxDifference: null,
        verified: false,
        error: `the check process ended without an answer (exit code ${code})${output ? `: ${output.trim().split('\n').at(-1)}` : ''}`,
      }
    }
    if ('error' in result)
      return {
        ...base,
        runtime: '',
        sameTop1: null,
        maxDifference: null,
        verified: false,
        error: `${exportFormatNames[job.format]} could not be loaded or run: ${result.error}`,
      }
    return { ...base, runtime: result.runtime, ...compare(expected, result.probabilities, task) }
  }

  private cardInput(
    run: RunDetail,
    version: DatasetVersion,
    task: 'classification' | 'regression',
    labels: string[],
    target: string | null,
    preprocessing: Preprocessing,
    files: CardInput['files'],
    verification: ExportFormatResult[],
  ): CardInput {
    const classCounts = { train: labels.map(() => 0), validation: labels.map(() => 0), test: labels.map(() => 0) }
    for (const c of this.datasets.versionClassCounts(run.datasetVersionId)) classCounts[c.split][c.classIndex] = c.n
    const project = this.projects.get(run.projectId)
    return {
      run,
      projectName: project.name,
      task,
      labels,
      target,
      preprocessing,
      dataset: {
        version: version.number,
        hash: version.hash,
        counts: { train: version.counts.train, validation: version.counts.validation, test: version.counts.test },
        classCounts,
      },
      evaluation: this.runs.evaluation(run.id),
      files,
      verification,
      appVersion: this.appVersion,
      exportedAt: new Date(this.now()),
    }
  }
}

/** The check's verdict: same top class everywhere (classification) and every value within the tolerance. */
export function compare(
  expected: number[][],
  got: number[][],
  task: 'classification' | 'regression',
): Pick<ExportFormatResult, 'sameTop1' | 'maxDifference' | 'verified' | 'error'> {
  if (got.length !== expected.length || got.some((row, i) => row.length !== expected[i]!.length)) {
    return {
      sameTop1: null,
      maxDifference: null,
      verified: false,
      error: `the runtime gave ${got.length} predictions of ${got[0]?.length ?? 0} values; the app gave ${expected.length} of ${expected[0]?.length ?? 0}`,
    }
  }
  let maxDifference = 0
  let sameTop1 = 0
  expected.forEach((row, i) => {
    row.forEach((v, j) => {
      const d = Math.abs(v - got[i]![j]!)
      // A regression value is compared relative to its size (float32 carries about 7 digits).
      maxDifference = Math.max(maxDifference, task === 'regression' ? d / Math.max(1, Math.abs(v)) : d)
    })
    if (argmax(row) === argmax(got[i]!)) sameTop1++
  })
  const top1Ok = task === 'regression' || sameTop1 === expected.length
  const verified = top1Ok && maxDifference <= verifyTolerance && Number.isFinite(maxDifference)
  let error: string | null = null
  if (!top1Ok)
    error = `the top class differed from the app's on ${expected.length - sameTop1} of ${expected.length} inputs`
  else if (!verified)
    error = `a prediction differed from the app's by ${maxDifference.toExponential(2)}, more than the ${verifyTolerance} allowed`
  return { sameTop1: task === 'regression' ? null : sameTop1, maxDifference, verified, error }
}

/**
 * Makes sure the destination can take the export: a new folder, or an empty one, that we can write to.
 * Returns whether the folder was created here (so a failed export can remove it).
 */
/**
 * Makes the missing folders of `dir` one at a time, never recursively: Node's recursive mkdir spins
 * forever on some file systems (/proc), which froze the whole server.
 */
function makeFolders(dir: string): void {
  const missing: string[] = []
  let at = dir
  while (!existsSync(at)) {
    missing.push(at)
    const up = dirname(at)
    if (up === at) break
    at = up
  }
  if (missing.length > 64) throw new Error('too many folders to create')
  for (const folder of missing.reverse()) mkdirSync(folder)
}

function prepareDestination(dir: string, dataDir: string): boolean {
  const real = resolveReal(dir)
  if (isSystemPath(real))
    throw new AppError(
      'INVALID_ARGUMENT',
      `${dir} is a system folder, not a place for files; choose an ordinary folder for the export`,
      'dir',
    )
  refuseDataDir(
    real,
    resolveReal(dataDir),
    ['exports'],
    'dir',
    "choose a folder of your own, or leave the folder empty for ModelBench's exports folder",
  )
  let created = false
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory())
      throw new AppError('INVALID_ARGUMENT', `${dir} is a file, not a folder; choose a folder for the export`, 'dir')
    if (readdirSync(dir).length > 0)
      throw new AppError(
        'INVALID_ARGUMENT',
        `${dir} is not empty; choose a new or empty folder so nothing in it is overwritten`,
        'dir',
      )
  } else {
    try {
      makeFolders(dir)
      created = true
    } catch (err) {
      throw new AppError('INVALID_ARGUMENT', `Cannot create ${dir}: ${fsErrorReason(err)}`, 'dir')
    }
  }
  const probe = join(dir, `.modelbench-write-test-${process.pid}`)
  try {
    writeFileSync(probe, '')
    rmSync(probe)
  } catch (err) {
    if (created) rmSync(dir, { recursive: true, force: true })
    throw new AppError('INVALID_ARGUMENT', `Cannot write to ${dir}: ${fsErrorReason(err)}`, 'dir')
  }
  return created
}
