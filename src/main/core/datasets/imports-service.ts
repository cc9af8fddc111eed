/**
 * Import jobs. Files are decoded and thumbnailed concurrently (sharp works on libuv's thread pool, off
 * the JavaScript thread), then committed in batches, each batch one transaction together with the import's
 * counters, so a crash leaves only whole batches. Content already in the dataset is reported as a duplicate
 * and not stored again, which also makes re-running a cancelled or crashed import safe.
 */
import { randomUUID } from 'node:crypto'
import { constants, type FileHandle, open } from 'node:fs/promises'
import type { ImportInfo, ImportIssue, Task } from '../../../shared/contract'
import { AppError, diskFullMessage, isDiskFull, notFound } from '../errors'
import type { EventBus } from '../events'
import { mapConcurrent } from './map-concurrent'
import { refuseDataDir, resolveReal } from '../safe-paths'
import type { Uploads } from '../uploads'
import type { Db } from '../store/database'
import { BlobStore, sha256 } from './blob-store'
import { toImportInfo, type DatasetRow, type DatasetsService, type ImportRow } from './datasets-service'
import { BadFileError, describeFsError, inspectImage, notRegularFile } from './image-file'
import { scanImageSource, type FoundFile } from './scan'
import { cellValue, inferTask, isMissing, readTableFile, withColumnTypes } from './table-file'
import { messageOf } from '../../../shared/messages'

export interface ImportOptions {
  batchSize?: number
  concurrency?: number
}

type Outcome =
  | {
      ok: true
      file: FoundFile
      hash: string
      size: number
      width: number
      height: number
      channels: number
      format: string
      known: boolean
    }
  | { ok: false; file: FoundFile; reason: string }

interface PendingIssue {
  kind: ImportIssue['kind']
  path: string
  rowNumber?: number | null
  reason: string
  sampleId?: number | null
}

interface Counters {
  processed: number
  imported: number
  duplicates: number
  skipped: number
  /** Imported without a class because they were outside every class folder. */
  unlabeledLoose: number
}

export class ImportsService {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>()
  /** How imports ended when even that could not be written (a full disk); written as soon as it can be. */
  private readonly unrecorded = new Map<string, { status: ImportInfo['status']; error: string | null; at: number }>()
  private readonly batchSize: number
  private readonly concurrency: number

  constructor(
    private readonly db: Db,
    private readonly datasets: DatasetsService,
    private readonly blobs: BlobStore,
    private readonly events: EventBus,
    private readonly uploads: Uploads,
    options: ImportOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.batchSize = options.batchSize ?? 100
    this.concurrency = options.concurrency ?? 8
  }

  /** At start-up: imports that were running when the app stopped did not finish; say so. */
  recoverInterrupted(): void {
    this.db
      .prepare("UPDATE imports SET status = 'interrupted', error = ?, finished_at = ? WHERE status = 'running'")
      .run(
        'ModelBench closed before this import finished. What it imported stays; import the same files again to add the rest (nothing is added twice).',
        this.now(),
      )
  }

  get(importId: string): ImportInfo {
    const row = this.db.prepare('SELECT * FROM imports WHERE id = ?').get(importId) as ImportRow | undefined
    if (!row) throw notFound('Import', importId)
    const ended = this.unrecorded.get(importId)
    return toImportInfo(ended ? { ...row, status: ended.status, error: ended.error, finished_at: ended.at } : row)
  }

  listIssues(importId: string, offset = 0, limit = 200): { items: ImportIssue[]; total: number } {
    this.get(importId)
    const { n } = this.db.prepare('SELECT count(*) AS n FROM import_issues WHERE import_id = ?').get(importId) as {
      n: number
    }
    const rows = this.db
      .prepare(
        'SELECT kind, path, row_number, reason FROM import_issues WHERE import_id = ? ORDER BY id LIMIT ? OFFSET ?',
      )
      .all(importId, limit, offset) as Array<{
      kind: ImportIssue['kind']
      path: string
      row_number: number | null
      reason: string
    }>
    return {
      items: rows.map((r) => ({ kind: r.kind, path: r.path, rowNumber: r.row_number, reason: r.reason })),
      total: n,
    }
  }

  /** Cancel always ends the job: whole batches kept, and the project free for the next import at once. */
  async cancel(importId: string): Promise<ImportInfo> {
    const info = this.get(importId)
    const job = this.running.get(importId)
    if (!job) {
      if (info.status === 'running') throw new AppError('INVALID_STATE', 'This import is not running in this app')
      return info
    }
    job.controller.abort()
    await job.done
    return this.get(importId)
  }

  /** Resolves when the import has finished (for tests and for the sample projects). */
  async whenDone(importId: string): Promise<ImportInfo> {
    await this.running.get(importId)?.done
    return this.get(importId)
  }

  /** Stops every running import (the app is closing): they end as cancelled, whole batches kept. */
  async stopAll(): Promise<void> {
    const jobs = [...this.running.values()]
    for (const j of jobs) j.controller.abort()
    await Promise.all(jobs.map((j) => j.done))
  }

  private begin(dataset: DatasetRow, source: string, kind: 'images' | 'table'): ImportRow {
    this.flushUnrecorded()
    const busy = (
      this.db.prepare("SELECT id FROM imports WHERE dataset_id = ? AND status = 'running'").all(dataset.id) as Array<{
        id: string
      }>
    ).some((r) => !this.unrecorded.has(r.id))
    if (busy)
      throw new AppError('INVALID_STATE', 'An import is already running for this project; wait for it or cancel it')
    const row: ImportRow = {
      id: randomUUID(),
      dataset_id: dataset.id,
      source,
      kind,
      status: 'running',
      total: 0,
      processed: 0,
      imported: 0,
      duplicates: 0,
      skipped: 0,
      hidden_ignored: 0,
      empty_folders: 0,
      unlabeled_loose: 0,
      error: null,
      started_at: this.now(),
      finished_at: null,
    }
    this.db
      .prepare(
        `INSERT INTO imports (id, dataset_id, source, kind, status, total, processed, imported, duplicates, skipped, error, started_at, finished_at)
         VALUES (@id, @dataset_id, @source, @kind, @status, @total, @processed, @imported, @duplicates, @skipped, @error, @started_at, @finished_at)`,
      )
      .run(row)
    return row
  }

  private launch(
    row: ImportRow,
    dataset: DatasetRow,
    work: (signal: AbortSignal, counters: Counters) => Promise<void>,
  ): ImportInfo {
    const controller = new AbortController()
    const counters: Counters = { processed: 0, imported: 0, duplicates: 0, skipped: 0, unlabeledLoose: 0 }
    // A cancelled job ends when its work notices, or after a moment whatever the work is waiting on
    // (a file read that never returns): the work commits nothing once the signal is aborted.
    const cancelled = new Promise<void>((resolveCancel) =>
      controller.signal.addEventListener('abort', () => setTimeout(resolveCancel, cancelGraceMs).unref(), {
        once: true,
      }),
    )
    const done = (async () => {
      let status: ImportInfo['status'] = 'completed'
      let error: string | null = null
      try {
        await Promise.race([work(controller.signal, counters), cancelled])
        if (controller.signal.aborted) status = 'cancelled'
      } catch (err) {
        status = 'failed'
        const full = isDiskFull(err)
        error = full ? diskFullMessage : messageOf(err)
        if (!full) console.error(`modelbench: import ${row.id} failed:`, err)
      }
      this.finishRow(row.id, status, error)
      this.running.delete(row.id)
      this.events.emit('import.finished', {
        importId: row.id,
        datasetId: dataset.id,
        projectId: dataset.project_id,
        status,
      })
      try {
        this.datasets.changed(dataset.id, 'imported')
      } catch (err) {
        console.error(`modelbench: could not record that import ${row.id} changed its dataset:`, err)
      }
    })()
    this.running.set(row.id, { controller, done })
    return toImportInfo(row)
  }

  /**
   * Records how the import ended. When the disk is full even this write can fail: the outcome is then kept
   * in memory (what `get` shows) and written at the next chance; if the process ends first, the next
   * start marks the import interrupted.
   */
  private finishRow(importId: string, status: ImportInfo['status'], error: string | null): void {
    this.unrecorded.set(importId, { status, error, at: this.now() })
    this.flushUnrecorded()
  }

  private flushUnrecorded(): void {
    for (const [id, e] of this.unrecorded) {
      try {
        this.db
          .prepare('UPDATE imports SET status = ?, error = ?, finished_at = ? WHERE id = ?')
          .run(e.status, e.error, e.at, id)
        this.unrecorded.delete(id)
      } catch (err) {
        console.error(`modelbench: could not record how import ${id} ended (kept until it can be):`, err)
      }
    }
  }

  private progress(row: ImportRow, dataset: DatasetRow, total: number, c: Counters): void {
    const elapsed = Math.max((this.now() - row.started_at) / 1000, 1e-3)
    const rate = c.processed / elapsed
    this.events.emit('import.progressed', {
      importId: row.id,
      datasetId: dataset.id,
      projectId: dataset.project_id,
      processed: c.processed,
      total,
      imported: c.imported,
      duplicates: c.duplicates,
      skipped: c.skipped,
      ratePerSecond: Math.round(rate * 10) / 10,
      etaSeconds: rate > 0 ? Math.ceil((total - c.processed) / rate) : null,
    })
  }

  private commitCounters(importId: string, total: number, c: Counters): void {
    this.db
      .prepare(
        'UPDATE imports SET total = ?, processed = ?, imported = ?, duplicates = ?, skipped = ?, unlabeled_loose = ? WHERE id = ?',
      )
      .run(total, c.processed, c.imported, c.duplicates, c.skipped, c.unlabeledLoose, importId)
  }

  private insertIssues(importId: string, issues: PendingIssue[]): void {
    const insert = this.db.prepare(
      'INSERT INTO import_issues (import_id, kind, path, row_number, reason, sample_id) VALUES (?, ?, ?, ?, ?, ?)',
    )
    for (const i of issues)
      insert.run(importId, i.kind, this.uploads.shown(i.path), i.rowNumber ?? null, i.reason, i.sampleId ?? null)
  }

  // ---- images --------------------------------------------------------------------------------------

  /**
   * Starts importing images. `prepare` runs first inside the job (the sample project writes its files
   * there, so the import shows as running from the start); `cleanup` runs when the job ends. `own` marks
   * the core's own folder in the data directory (a sample), which a request may never name.
   */
  /**
   * `className`: every image goes into that class (created if new) whatever its folder says; a camera
   * burst is a folder of loose frames meant for one class.
   */
  startImages(
    projectId: string,
    paths: string[],
    hooks: {
      prepare?: () => Promise<unknown>
      cleanup?: () => Promise<unknown>
      own?: boolean
      className?: string
    } = {},
  ): ImportInfo {
    // Resolved before any check: `uploads/../..` is the data folder itself, not an upload.
    const uploaded = new Set<string>()
    const dataRoot = resolveReal(this.blobs.dataDir)
    for (const p of paths) {
      const real = resolveReal(p)
      const owner = this.uploads.ownerOf(real)
      if (owner) uploaded.add(owner)
      else if (!hooks.own) refuseDataDir(real, dataRoot, [], 'paths', 'import from your own folders instead')
    }
    const dataset = this.datasets.ensure(projectId, 'image')
    const source = paths.length === 1 ? this.uploads.shown(paths[0]!) : `${paths.length} files`
    const row = this.begin(dataset, source, 'images')
    const info = this.launch(row, dataset, async (signal, counters) => {
      await hooks.prepare?.()
      await this.runImages(row, dataset, paths, signal, counters, hooks.className ?? null)
    })
    if (hooks.cleanup) void this.whenDone(info.id).then(hooks.cleanup)
    // Files uploaded from a browser are copied into the blob store by the import; drop those uploads, by id.
    if (uploaded.size > 0)
      void this.whenDone(info.id).then(() => Promise.all([...uploaded].map((id) => this.uploads.remove(id))))
    return info
  }

  private async runImages(
    row: ImportRow,
    dataset: DatasetRow,
    paths: string[],
    signal: AbortSignal,
    c: Counters,
    intoClass: string | null,
  ): Promise<void> {
    const scan = await scanImageSource(paths)
    const total = scan.files.length + scan.issues.length
    const known = this.db.prepare('SELECT id, original_name FROM samples WHERE dataset_id = ? AND content_hash = ?')
    const insertSample = this.db.prepare(
      `INSERT INTO samples (dataset_id, content_hash, original_name, byte_size, width, height, channels, format, class_id, split, split_fixed, import_id, created_at)
       VALUES (@dataset_id, @content_hash, @original_name, @byte_size, @width, @height, @channels, @format, @class_id, @split, @split_fixed, @import_id, @created_at)
       ON CONFLICT (dataset_id, content_hash) DO NOTHING`,
    )
    this.db.transaction(() => {
      this.insertIssues(
        row.id,
        scan.issues.map((i) => ({ kind: 'skipped', path: i.path, reason: i.reason })),
      )
      // What the scan passed over on purpose: listed as warnings, counted apart from the files to import.
      this.insertIssues(
        row.id,
        scan.notes.map((n) => ({ kind: 'warning', path: n.path, reason: n.reason })),
      )
      const count = (kind: string): number => scan.notes.filter((n) => n.kind === kind).length
      this.db
        .prepare('UPDATE imports SET hidden_ignored = ?, empty_folders = ? WHERE id = ?')
        .run(count('hidden'), count('empty-folder'), row.id)
      c.processed += scan.issues.length
      c.skipped += scan.issues.length
      this.commitCounters(row.id, total, c)
    })()
    this.progress(row, dataset, total, c)

    const processOne = async (file: FoundFile): Promise<Outcome> => {
      let data: Buffer
      try {
        data = await readRegularFile(file.path)
      } catch (err) {
        if (err instanceof BadFileError) return { ok: false, file, reason: err.message }
        return { ok: false, file, reason: describeFsError(err) }
      }
      const hash = sha256(data)
      if (known.get(dataset.id, hash))
        return { ok: true, file, hash, size: data.length, width: 0, height: 0, channels: 0, format: '', known: true }
      try {
        const image = await inspectImage(data)
        await this.blobs.putBlob(hash, data)
        if (image.thumbnail) await this.blobs.putThumb(hash, image.thumbnail)
        return {
          ok: true,
          file,
          hash,
          size: data.length,
          width: image.width,
          height: image.height,
          channels: image.channels,
          format: image.format,
          known: false,
        }
      } catch (err) {
        if (err instanceof BadFileError) return { ok: false, file, reason: err.message }
        throw err
      }
    }

    for (let start = 0; start < scan.files.length; start += this.batchSize) {
      if (signal.aborted) break
      const batch = scan.files.slice(start, start + this.batchSize)
      const outcomes = await mapConcurrent(batch, this.concurrency, processOne)
      if (signal.aborted) break
      this.db.transaction(() => {
        const issues: PendingIssue[] = []
        for (const o of outcomes) {
          c.processed++
          if (!o.ok) {
            c.skipped++
            issues.push({ kind: 'skipped', path: o.file.path, reason: o.reason })
            continue
          }
          const className = intoClass ?? o.file.className
          const classId = className ? this.datasets.ensureClass(dataset.id, className) : null
          const inserted = o.known
            ? { changes: 0 }
            : insertSample.run({
                dataset_id: dataset.id,
                content_hash: o.hash,
                original_name: o.file.name,
                byte_size: o.size,
                width: o.width,
                height: o.height,
                channels: o.channels,
                format: o.format,
                class_id: classId,
                split: o.file.split,
                split_fixed: o.file.split ? 1 : 0,
                import_id: row.id,
                created_at: this.now(),
              })
          if (inserted.changes === 1) {
            c.imported++
            // The note says why a file has no class: one given for all of them answers it.
            if (o.file.note && !intoClass) {
              c.unlabeledLoose++
              issues.push({ kind: 'warning', path: o.file.path, reason: o.file.note })
            }
            continue
          }
          const existing = known.get(dataset.id, o.hash) as { id: number; original_name: string }
          c.duplicates++
          issues.push({
            kind: 'duplicate',
            path: o.file.path,
            reason: `same content as ${existing.original_name}, already in the dataset`,
            sampleId: existing.id,
          })
        }
        this.insertIssues(row.id, issues)
        this.commitCounters(row.id, total, c)
      })()
      this.progress(row, dataset, total, c)
    }
  }

  // ---- tables --------------------------------------------------------------------------------------

  async startTable(
    projectId: string,
    path: string,
    targetColumn: string,
    task?: Task,
    columnTypes: Record<string, 'numeric' | 'categorical'> = {},
  ): Promise<ImportInfo> {
    const table = withColumnTypes(await readTableFile(path), columnTypes)
    const targetIndex = table.header.indexOf(targetColumn)
    if (targetIndex < 0) {
      throw new AppError(
        'INVALID_ARGUMENT',
        `There is no column "${targetColumn}" in ${path}; the columns are ${table.header.join(', ')}`,
        'targetColumn',
      )
    }
    const chosenTask = task ?? inferTask(table, targetColumn)
    if (chosenTask === 'regression' && table.columns[targetIndex]!.type !== 'numeric') {
      throw new AppError(
        'INVALID_ARGUMENT',
        `Column "${targetColumn}" holds text, so it can only be a classification target`,
        'task',
      )
    }
    const dataset = this.datasets.ensure(projectId, 'table')
    if (dataset.target_column && (dataset.target_column !== targetColumn || dataset.task !== chosenTask)) {
      throw new AppError(
        'INVALID_STATE',
        `This project already predicts "${dataset.target_column}"; import into a new project to predict another column`,
      )
    }
    const row = this.begin(dataset, this.uploads.shown(path), 'table')
    const features = table.columns.filter((_, i) => i !== targetIndex)
    this.db
      .prepare('UPDATE datasets SET task = ?, target_column = ?, columns_json = ? WHERE id = ?')
      .run(chosenTask, targetColumn, JSON.stringify(features), dataset.id)
    dataset.task = chosenTask
    dataset.target_column = targetColumn
    const insertSample = this.db.prepare(
      `INSERT INTO samples (dataset_id, content_hash, original_name, values_json, target_value, class_id, import_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id, content_hash) DO NOTHING`,
    )
    const known = this.db.prepare('SELECT id, original_name FROM samples WHERE dataset_id = ? AND content_hash = ?')

    const info = this.launch(row, dataset, async (signal, c) => {
      const total = table.rows.length + table.problems.length
      this.db.transaction(() => {
        this.insertIssues(
          row.id,
          table.problems.map((p) => ({ kind: 'skipped', path, rowNumber: p.rowNumber, reason: p.reason })),
        )
        c.processed += table.problems.length
        c.skipped += table.problems.length
      })()
      for (let start = 0; start < table.rows.length; start += this.batchSize * 10) {
        if (signal.aborted) break
        const batch = table.rows.slice(start, start + this.batchSize * 10)
        this.db.transaction(() => {
          const issues: PendingIssue[] = []
          for (const r of batch) {
            c.processed++
            const targetCell = r.cells[targetIndex]!
            if (isMissing(targetCell)) {
              c.skipped++
              issues.push({
                kind: 'skipped',
                path,
                rowNumber: r.rowNumber,
                reason: `row ${r.rowNumber} has no value in the target column "${targetColumn}"`,
              })
              continue
            }
            const targetValue =
              chosenTask === 'regression' ? (cellValue(table.columns[targetIndex]!, targetCell) as number | null) : null
            if (chosenTask === 'regression' && targetValue === null) {
              c.skipped++
              issues.push({
                kind: 'skipped',
                path,
                rowNumber: r.rowNumber,
                reason: `row ${r.rowNumber}: the target “${targetCell.trim()}” is not a number`,
              })
              continue
            }
            const values: Record<string, string | number | null> = {}
            table.header.forEach((name, i) => {
              if (i !== targetIndex) values[name] = cellValue(table.columns[i]!, r.cells[i]!)
            })
            const valuesJson = JSON.stringify(values)
            const hash = sha256(`${valuesJson}\n${targetCell.trim()}`)
            const classId =
              chosenTask === 'classification' ? this.datasets.ensureClass(dataset.id, targetCell.trim()) : null
            const info = insertSample.run(
              dataset.id,
              hash,
              `row ${r.rowNumber}`,
              valuesJson,
              targetValue,
              classId,
              row.id,
              this.now(),
            )
            if (info.changes === 1) {
              c.imported++
              continue
            }
            const existing = known.get(dataset.id, hash) as { id: number; original_name: string }
            c.duplicates++
            issues.push({
              kind: 'duplicate',
              path,
              rowNumber: r.rowNumber,
              reason: `same values as ${existing.original_name}`,
              sampleId: existing.id,
            })
          }
          this.insertIssues(row.id, issues)
          this.commitCounters(row.id, total, c)
        })()
        this.progress(row, dataset, total, c)
        await new Promise((resolve) => setImmediate(resolve))
      }
    })
    // A table uploaded from a browser was read whole above; its upload goes once the import ends.
    const uploaded = this.uploads.ownerOf(resolveReal(path))
    if (uploaded) void this.whenDone(info.id).then(() => this.uploads.remove(uploaded))
    return info
  }
}

const cancelGraceMs = 2000

/**
 * Reads a file only if it is a regular file: opened without blocking (a FIFO or a device would otherwise
 * wait for a writer forever) and checked on the open handle, so a swap after the scan changes nothing.
 */
async function readRegularFile(path: string): Promise<Buffer> {
  let handle: FileHandle | undefined
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
    if (!(await handle.stat()).isFile()) throw new BadFileError(notRegularFile)
    return await handle.readFile()
  } finally {
    await handle?.close()
  }
}
