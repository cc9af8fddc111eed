/**
 * Datasets: one per project, its classes, its samples and their labels, the train/validation/test split
 * and the immutable, hashed versions that training uses. Rows map to contract types in one place each.
 */
import { randomUUID } from 'node:crypto'
import type {
  ClassInfo,
  DatasetKind,
  DatasetSummary,
  DatasetVersion,
  ImportInfo,
  SampleFilter,
  SampleItem,
  Split,
  SplitConfig,
  SplitCounts,
  TableColumn,
  Task,
} from '../../../shared/contract'
import { AppError, notFound } from '../errors'
import type { EventBus } from '../events'
import type { ProjectsService } from '../projects'
import type { Db } from '../store/database'
import { fitEncoder } from '../training/table-encoding'
import { sha256, type BlobStore } from './blob-store'
import { buildImageCache, type CacheMeta, type InputShape } from './tensor-cache'
import { colorFor } from './palette'
import { stratifiedSplit, type Splittable } from './split'

/** A table row's values by column. */
export type TableRowValues = Record<string, string | number | null>

/** One sample of a frozen dataset version, as training and export read it. */
export interface VersionSample {
  sampleId: number
  split: Split
  classIndex: number | null
  targetValue: number | null
  hash: string
  values: TableRowValues | null
}

export interface DatasetRow {
  id: string
  project_id: string
  kind: DatasetKind
  task: Task
  target_column: string | null
  columns_json: string | null
  split_json: string | null
  created_at: number
  updated_at: number
}

interface ClassRow {
  id: number
  dataset_id: string
  name: string
  color: string
  position: number
}

interface SampleRow {
  id: number
  content_hash: string
  original_name: string
  width: number | null
  height: number | null
  values_json: string | null
  target_value: number | null
  class_id: number | null
  split: Split | null
}

export interface ImportRow {
  id: string
  dataset_id: string
  source: string
  kind: 'images' | 'table'
  status: ImportInfo['status']
  total: number
  processed: number
  imported: number
  duplicates: number
  skipped: number
  hidden_ignored: number
  empty_folders: number
  unlabeled_loose: number
  error: string | null
  started_at: number
  finished_at: number | null
}

interface VersionRow {
  id: string
  dataset_id: string
  number: number
  hash: string
  class_names: string
  counts_json: string
  sample_count: number
  created_at: number
}

export function toImportInfo(r: ImportRow): ImportInfo {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    source: r.source,
    kind: r.kind,
    status: r.status,
    total: r.total,
    processed: r.processed,
    imported: r.imported,
    duplicates: r.duplicates,
    skipped: r.skipped,
    ignored: { hiddenFiles: r.hidden_ignored, emptyFolders: r.empty_folders },
    unlabeledLoose: r.unlabeled_loose,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }
}

function toSampleItem(r: SampleRow): SampleItem {
  return {
    id: r.id,
    hash: r.content_hash,
    name: r.original_name,
    classId: r.class_id,
    split: r.split,
    width: r.width,
    height: r.height,
    values: r.values_json ? (JSON.parse(r.values_json) as Record<string, string | number | null>) : null,
    target: r.target_value,
  }
}

function toVersion(r: VersionRow): DatasetVersion {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    number: r.number,
    hash: r.hash,
    sampleCount: r.sample_count,
    classNames: JSON.parse(r.class_names) as string[],
    counts: JSON.parse(r.counts_json) as Record<Split, number>,
    createdAt: r.created_at,
  }
}

export const defaultSplit: SplitConfig = { mode: 'ratio', train: 0.8, validation: 0.1, test: 0.1, seed: 42 }
/** Below this many examples a class gets a warning. */
export const fewExamples = 10
/** Largest / smallest class size above which the data is called imbalanced. */
export const imbalanceRatio = 10

export class DatasetsService {
  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    private readonly projects: ProjectsService,
    private readonly now: () => number = Date.now,
  ) {}

  row(datasetId: string): DatasetRow {
    const row = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(datasetId) as DatasetRow | undefined
    if (!row) throw notFound('Dataset', datasetId)
    return row
  }

  /** Every image content hash any sample refers to (deleted projects' too, which can be restored). */
  knownHashes(): Set<string> {
    const rows = this.db
      .prepare(
        "SELECT DISTINCT s.content_hash AS h FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE d.kind = 'image'",
      )
      .all() as Array<{ h: string }>
    return new Set(rows.map((r) => r.h))
  }

  forProject(projectId: string): DatasetRow | undefined {
    return this.db.prepare('SELECT * FROM datasets WHERE project_id = ?').get(projectId) as DatasetRow | undefined
  }

  /** The project's dataset, created on first import; a project holds images or a table, not both. */
  ensure(projectId: string, kind: DatasetKind): DatasetRow {
    this.projects.get(projectId) // not found, or deleted: says so
    const existing = this.forProject(projectId)
    if (existing) {
      if (existing.kind !== kind) {
        throw new AppError(
          'INVALID_STATE',
          `This project holds ${existing.kind === 'image' ? 'images' : 'a table'}; create another project to import ${kind === 'image' ? 'images' : 'a table'}`,
        )
      }
      return existing
    }
    const t = this.now()
    const row: DatasetRow = {
      id: randomUUID(),
      project_id: projectId,
      kind,
      task: 'classification',
      target_column: null,
      columns_json: null,
      split_json: null,
      created_at: t,
      updated_at: t,
    }
    this.db
      .prepare(
        `INSERT INTO datasets (id, project_id, kind, task, target_column, columns_json, split_json, created_at, updated_at)
         VALUES (@id, @project_id, @kind, @task, @target_column, @columns_json, @split_json, @created_at, @updated_at)`,
      )
      .run(row)
    return row
  }

  changed(datasetId: string, reason: 'imported' | 'labeled' | 'classes' | 'split' | 'versioned'): void {
    const row = this.row(datasetId)
    this.db.prepare('UPDATE datasets SET updated_at = ? WHERE id = ?').run(this.now(), datasetId)
    this.events.emit('datasets.changed', { datasetId, projectId: row.project_id, reason })
  }

  get(projectId: string): DatasetSummary | null {
    const row = this.forProject(projectId)
    return row ? this.summary(row.id) : null
  }

  summary(datasetId: string): DatasetSummary {
    const d = this.row(datasetId)
    const classes = this.classes(datasetId)
    const grouped = this.db
      .prepare('SELECT class_id, split, count(*) AS n FROM samples WHERE dataset_id = ? GROUP BY class_id, split')
      .all(datasetId) as Array<{ class_id: number | null; split: Split | null; n: number }>
    const byClass = new Map<number | null, { classId: number | null } & SplitCounts>()
    let total = 0
    for (const g of grouped) {
      let entry = byClass.get(g.class_id)
      if (!entry) {
        entry = { classId: g.class_id, train: 0, validation: 0, test: 0, none: 0 }
        byClass.set(g.class_id, entry)
      }
      entry[g.split ?? 'none'] += g.n
      total += g.n
    }
    const counts = [...byClass.values()]
    const unlabeled = byClass.get(null)
    const labeled = total - (unlabeled ? unlabeled.train + unlabeled.validation + unlabeled.test + unlabeled.none : 0)
    const latest = this.db
      .prepare('SELECT * FROM imports WHERE dataset_id = ? ORDER BY started_at DESC LIMIT 1')
      .get(datasetId) as ImportRow | undefined
    return {
      id: d.id,
      projectId: d.project_id,
      kind: d.kind,
      task: d.task,
      targetColumn: d.target_column,
      columns: d.columns_json ? (JSON.parse(d.columns_json) as TableColumn[]) : null,
      total,
      labeled,
      classes,
      counts,
      split: d.split_json ? (JSON.parse(d.split_json) as SplitConfig) : null,
      warnings: this.warnings(d, classes, total - labeled),
      latestImport: latest ? toImportInfo(latest) : null,
      suggestedInputShape: this.suggestedInputShape(d),
    }
  }

  private suggestedInputShape(d: DatasetRow): number[] | null {
    if (d.kind === 'table') {
      const values = (
        this.db.prepare('SELECT values_json FROM samples WHERE dataset_id = ?').all(d.id) as Array<{
          values_json: string
        }>
      ).map((r) => JSON.parse(r.values_json) as Record<string, string | number | null>)
      if (values.length === 0) return null
      return [fitEncoder(JSON.parse(d.columns_json ?? '[]') as TableColumn[], [], values).featureCount]
    }
    const size = this.db
      .prepare(
        'SELECT width, height, count(*) AS n FROM samples WHERE dataset_id = ? AND width IS NOT NULL GROUP BY width, height ORDER BY n DESC LIMIT 1',
      )
      .get(d.id) as { width: number; height: number } | undefined
    if (!size) return null
    const { colour } = this.db
      .prepare('SELECT max(coalesce(channels, 3)) > 1 AS colour FROM samples WHERE dataset_id = ?')
      .get(d.id) as { colour: number }
    // Big photos are trained smaller: at most 160 pixels on the longer side keeps CPU training practical.
    const scale = Math.min(1, 160 / Math.max(size.width, size.height))
    return [Math.max(8, Math.round(size.height * scale)), Math.max(8, Math.round(size.width * scale)), colour ? 3 : 1]
  }

  private warnings(d: DatasetRow, classes: ClassInfo[], unlabeled: number): string[] {
    const out: string[] = []
    if (d.task === 'regression') return out
    const used = classes.filter((c) => c.count > 0)
    if (used.length > 0 && used.length < 2) out.push('Training needs at least two classes with examples.')
    for (const c of used) {
      if (c.count < fewExamples)
        out.push(
          `Class “${c.name}” has only ${c.count} example${c.count === 1 ? '' : 's'}; aim for at least ${fewExamples}, ideally 50 or more.`,
        )
    }
    if (used.length >= 2) {
      const sorted = [...used].sort((a, b) => b.count - a.count)
      const big = sorted[0]!
      const small = sorted.at(-1)!
      if (big.count >= imbalanceRatio * small.count) {
        out.push(
          `The classes are imbalanced: “${big.name}” has ${big.count} examples, “${small.name}” only ${small.count}.`,
        )
      }
    }
    if (unlabeled > 0)
      out.push(
        `${unlabeled} ${d.kind === 'image' ? 'image' : 'row'}${unlabeled === 1 ? ' is' : 's are'} unlabeled and will not be used for training.`,
      )
    return out
  }

  // ---- classes -------------------------------------------------------------------------------------

  classes(datasetId: string): ClassInfo[] {
    const rows = this.db
      .prepare(
        `SELECT c.id, c.name, c.color, c.position, (SELECT count(*) FROM samples s WHERE s.class_id = c.id) AS count
         FROM classes c WHERE c.dataset_id = ? ORDER BY c.position, c.id`,
      )
      .all(datasetId) as ClassInfo[]
    return rows
  }

  private classRow(classId: number): ClassRow {
    const row = this.db.prepare('SELECT * FROM classes WHERE id = ?').get(classId) as ClassRow | undefined
    if (!row) throw notFound('Class', String(classId))
    return row
  }

  private classInfo(classId: number): ClassInfo {
    const r = this.classRow(classId)
    const { n } = this.db.prepare('SELECT count(*) AS n FROM samples WHERE class_id = ?').get(classId) as { n: number }
    return { id: r.id, name: r.name, color: r.color, position: r.position, count: n }
  }

  private assertClassNameFree(datasetId: string, name: string, exceptId?: number): void {
    const clash = this.db
      .prepare('SELECT id FROM classes WHERE dataset_id = ? AND lower(name) = lower(?) AND id IS NOT ?')
      .get(datasetId, name, exceptId ?? null)
    if (clash) throw new AppError('CONFLICT', `A class named "${name}" already exists`, 'name')
  }

  /** The id of the class with this name, created if missing (used by imports, inside their transaction). */
  ensureClass(datasetId: string, name: string): number {
    const found = this.db
      .prepare('SELECT id FROM classes WHERE dataset_id = ? AND lower(name) = lower(?)')
      .get(datasetId, name) as { id: number } | undefined
    if (found) return found.id
    return this.insertClass(datasetId, name)
  }

  private insertClass(datasetId: string, name: string, color?: string): number {
    const { p } = this.db
      .prepare('SELECT coalesce(max(position) + 1, 0) AS p FROM classes WHERE dataset_id = ?')
      .get(datasetId) as {
      p: number
    }
    const info = this.db
      .prepare('INSERT INTO classes (dataset_id, name, color, position, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(datasetId, name, color ?? colorFor(p), p, this.now())
    return Number(info.lastInsertRowid)
  }

  createClass(datasetId: string, name: string, color?: string): ClassInfo {
    const dataset = this.row(datasetId)
    if (dataset.kind === 'table') {
      const from = dataset.target_column
        ? `its classes are the values of the column “${dataset.target_column}”`
        : 'its classes come from the column it predicts'
      throw new AppError('INVALID_STATE', `This project holds a table: ${from}, so classes cannot be added by hand`)
    }
    const id = this.db.transaction(() => {
      this.assertClassNameFree(datasetId, name)
      return this.insertClass(datasetId, name, color)
    })()
    this.changed(datasetId, 'classes')
    return this.classInfo(id)
  }

  updateClass(classId: number, patch: { name?: string; color?: string }): ClassInfo {
    const row = this.classRow(classId)
    this.db.transaction(() => {
      if (patch.name !== undefined && patch.name !== row.name) {
        this.assertClassNameFree(row.dataset_id, patch.name, classId)
        this.db.prepare('UPDATE classes SET name = ? WHERE id = ?').run(patch.name, classId)
      }
      if (patch.color !== undefined)
        this.db.prepare('UPDATE classes SET color = ? WHERE id = ?').run(patch.color.toLowerCase(), classId)
    })()
    this.changed(row.dataset_id, 'classes')
    return this.classInfo(classId)
  }

  mergeClasses(sourceId: number, targetId: number): { moved: number } {
    const source = this.classRow(sourceId)
    const target = this.classRow(targetId)
    if (source.dataset_id !== target.dataset_id)
      throw new AppError('INVALID_ARGUMENT', 'Both classes must belong to the same dataset', 'targetId')
    const moved = this.db.transaction(() => {
      const info = this.db.prepare('UPDATE samples SET class_id = ? WHERE class_id = ?').run(targetId, sourceId)
      this.db.prepare('DELETE FROM classes WHERE id = ?').run(sourceId)
      return info.changes
    })()
    this.changed(source.dataset_id, 'classes')
    return { moved }
  }

  deleteClass(classId: number): { unlabeled: number } {
    const row = this.classRow(classId)
    const unlabeled = this.db.transaction(() => {
      const info = this.db
        .prepare(
          'UPDATE samples SET class_id = NULL, split = CASE WHEN split_fixed = 1 THEN split ELSE NULL END WHERE class_id = ?',
        )
        .run(classId)
      this.db.prepare('DELETE FROM classes WHERE id = ?').run(classId)
      return info.changes
    })()
    this.changed(row.dataset_id, 'classes')
    return { unlabeled }
  }

  // ---- samples -------------------------------------------------------------------------------------

  listSamples(
    datasetId: string,
    filter: SampleFilter = { kind: 'all' },
    offset = 0,
    limit = 200,
  ): { items: SampleItem[]; total: number } {
    this.row(datasetId)
    let where = 'dataset_id = ?'
    const params: Array<string | number> = [datasetId]
    switch (filter.kind) {
      case 'all':
        break
      case 'unlabeled':
        where += ' AND class_id IS NULL'
        break
      case 'class':
        where += ' AND class_id = ?'
        params.push(filter.classId)
        break
      case 'split':
        where += ' AND split = ?'
        params.push(filter.split)
        break
      case 'duplicates':
        where += ' AND id IN (SELECT sample_id FROM import_issues WHERE sample_id IS NOT NULL)'
        break
      default:
        throw new AppError('INVALID_ARGUMENT', `Unknown filter ${(filter as { kind: string }).kind}`, 'filter')
    }
    const { n } = this.db.prepare(`SELECT count(*) AS n FROM samples WHERE ${where}`).get(...params) as { n: number }
    const rows = this.db
      .prepare(
        `SELECT id, content_hash, original_name, width, height, values_json, target_value, class_id, split
         FROM samples WHERE ${where} ORDER BY id LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset) as SampleRow[]
    return { items: rows.map(toSampleItem), total: n }
  }

  /** Sets labels and returns the previous ones, which undo sends back through this same method. */
  setLabels(labels: ReadonlyArray<{ sampleId: number; classId: number | null }>): {
    previous: Array<{ sampleId: number; classId: number | null }>
  } {
    const getSample = this.db.prepare('SELECT id, dataset_id, class_id, split_fixed FROM samples WHERE id = ?')
    const update = this.db.prepare(
      'UPDATE samples SET class_id = ?, split = CASE WHEN split_fixed = 1 THEN split ELSE NULL END WHERE id = ?',
    )
    const updateKeepSplit = this.db.prepare('UPDATE samples SET class_id = ? WHERE id = ?')
    const classDataset = this.db.prepare('SELECT dataset_id FROM classes WHERE id = ?')
    const touched = new Set<string>()
    const previous = this.db.transaction(() => {
      const prev: Array<{ sampleId: number; classId: number | null }> = []
      for (const { sampleId, classId } of labels) {
        const s = getSample.get(sampleId) as { id: number; dataset_id: string; class_id: number | null } | undefined
        if (!s) throw notFound('Sample', String(sampleId))
        if (classId !== null) {
          const c = classDataset.get(classId) as { dataset_id: string } | undefined
          if (!c) throw notFound('Class', String(classId))
          if (c.dataset_id !== s.dataset_id)
            throw new AppError('INVALID_ARGUMENT', `Class ${classId} belongs to another dataset`, 'labels')
        }
        prev.push({ sampleId, classId: s.class_id })
        if (s.class_id === classId) continue
        // Relabeling keeps a sample's split; labeling an unlabeled one leaves it to be split at the next freeze.
        if (s.class_id !== null && classId !== null) updateKeepSplit.run(classId, sampleId)
        else update.run(classId, sampleId)
        touched.add(s.dataset_id)
      }
      return prev
    })()
    for (const datasetId of touched) this.changed(datasetId, 'labeled')
    return { previous }
  }

  // ---- split and versions --------------------------------------------------------------------------

  split(datasetId: string, config: Omit<SplitConfig, 'mode'>): DatasetSummary {
    const d = this.row(datasetId)
    this.db.transaction(() => {
      const fixed = (
        this.db
          .prepare('SELECT count(*) AS n FROM samples WHERE dataset_id = ? AND split_fixed = 1')
          .get(datasetId) as { n: number }
      ).n
      const stored: SplitConfig = { mode: fixed > 0 ? 'folders' : 'ratio', ...config }
      this.db.prepare('UPDATE datasets SET split_json = ? WHERE id = ?').run(JSON.stringify(stored), datasetId)
      this.assignSplits(d, stored)
    })()
    this.changed(datasetId, 'split')
    return this.summary(datasetId)
  }

  private assignSplits(d: DatasetRow, config: SplitConfig): void {
    const rows = this.db
      .prepare('SELECT id, content_hash, class_id, target_value FROM samples WHERE dataset_id = ? AND split_fixed = 0')
      .all(d.id) as Array<{ id: number; content_hash: string; class_id: number | null; target_value: number | null }>
    const regression = d.task === 'regression'
    const items: Splittable[] = []
    for (const r of rows) {
      if (regression ? r.target_value === null : r.class_id === null) continue
      items.push({ id: r.id, hash: r.content_hash, group: regression ? 'all' : r.class_id! })
    }
    const assignment = stratifiedSplit(items, config, config.seed)
    this.db.prepare('UPDATE samples SET split = NULL WHERE dataset_id = ? AND split_fixed = 0').run(d.id)
    const set = this.db.prepare('UPDATE samples SET split = ? WHERE id = ?')
    for (const [id, split] of assignment) set.run(split, id)
  }

  /**
   * Freezes sample → label → split into an immutable version. Labeled samples without a split are split
   * first (with the dataset's split settings, or 80/10/10 with seed 42). Unchanged data reuses the
   * existing version with the same hash.
   */
  freezeVersion(datasetId: string): DatasetVersion & { reused: boolean } {
    const d = this.row(datasetId)
    const regression = d.task === 'regression'
    const result = this.db.transaction(() => {
      const labelCond = regression ? 'target_value IS NOT NULL' : 'class_id IS NOT NULL'
      const unsplit = this.db
        .prepare(`SELECT count(*) AS n FROM samples WHERE dataset_id = ? AND ${labelCond} AND split IS NULL`)
        .get(datasetId) as {
        n: number
      }
      if (unsplit.n > 0) {
        const config = d.split_json ? (JSON.parse(d.split_json) as SplitConfig) : defaultSplit
        if (!d.split_json)
          this.db.prepare('UPDATE datasets SET split_json = ? WHERE id = ?').run(JSON.stringify(config), datasetId)
        this.assignSplits(d, config)
      }
      const rows = this.db
        .prepare(
          `SELECT s.id, s.content_hash, s.split, s.target_value, c.name AS class_name, c.position
           FROM samples s LEFT JOIN classes c ON c.id = s.class_id
           WHERE s.dataset_id = ? AND s.${labelCond} AND s.split IS NOT NULL
           ORDER BY CASE s.split WHEN 'train' THEN 0 WHEN 'validation' THEN 1 ELSE 2 END, s.content_hash`,
        )
        .all(datasetId) as Array<{
        id: number
        content_hash: string
        split: Split
        target_value: number | null
        class_name: string | null
        position: number | null
      }>
      if (rows.length === 0) {
        throw new AppError(
          'INVALID_STATE',
          regression
            ? 'Nothing to freeze: no rows have a target value.'
            : 'Nothing to freeze: label some examples first.',
        )
      }
      const classNames = regression
        ? []
        : [...new Map(rows.map((r) => [r.class_name!, r.position!])).entries()]
            .sort((a, b) => a[1] - b[1])
            .map(([name]) => name)
      if (!regression && classNames.length < 2)
        throw new AppError('INVALID_STATE', 'Training needs at least two classes with labeled examples.')
      if (!rows.some((r) => r.split === 'train')) throw new AppError('INVALID_STATE', 'The training split is empty.')
      const index = new Map(classNames.map((n, i) => [n, i]))
      const lines = rows.map((r) => `${r.content_hash}\t${regression ? r.target_value : r.class_name}\t${r.split}`)
      const hash = sha256(`${d.kind}\n${d.task}\n${JSON.stringify(classNames)}\n${lines.join('\n')}`)
      const existing = this.db
        .prepare('SELECT * FROM dataset_versions WHERE dataset_id = ? AND hash = ?')
        .get(datasetId, hash) as VersionRow | undefined
      if (existing) return { ...toVersion(existing), reused: true }
      const counts: Record<Split, number> = { train: 0, validation: 0, test: 0 }
      for (const r of rows) counts[r.split]++
      const { next } = this.db
        .prepare('SELECT coalesce(max(number) + 1, 1) AS next FROM dataset_versions WHERE dataset_id = ?')
        .get(datasetId) as { next: number }
      const row: VersionRow = {
        id: randomUUID(),
        dataset_id: datasetId,
        number: next,
        hash,
        class_names: JSON.stringify(classNames),
        counts_json: JSON.stringify(counts),
        sample_count: rows.length,
        created_at: this.now(),
      }
      this.db
        .prepare(
          `INSERT INTO dataset_versions (id, dataset_id, number, hash, class_names, counts_json, sample_count, created_at)
           VALUES (@id, @dataset_id, @number, @hash, @class_names, @counts_json, @sample_count, @created_at)`,
        )
        .run(row)
      const insert = this.db.prepare(
        'INSERT INTO dataset_version_samples (version_id, position, sample_id, class_index, target_value, split) VALUES (?, ?, ?, ?, ?, ?)',
      )
      rows.forEach((r, i) =>
        insert.run(row.id, i, r.id, regression ? null : index.get(r.class_name!)!, r.target_value, r.split),
      )
      return { ...toVersion(row), reused: false }
    })()
    if (!result.reused) this.changed(datasetId, 'versioned')
    return result
  }

  listVersions(datasetId: string): DatasetVersion[] {
    this.row(datasetId)
    const rows = this.db
      .prepare('SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY number DESC')
      .all(datasetId) as VersionRow[]
    return rows.map(toVersion)
  }

  /** Up to `limit` content hashes of a version's samples in one split, spread evenly over the version. */
  versionSampleHashes(versionId: string, split: Split, limit: number): string[] {
    const hashes = (
      this.db
        .prepare(
          'SELECT s.content_hash FROM dataset_version_samples vs JOIN samples s ON s.id = vs.sample_id WHERE vs.version_id = ? AND vs.split = ? ORDER BY vs.position',
        )
        .all(versionId, split) as Array<{ content_hash: string }>
    ).map((r) => r.content_hash)
    if (hashes.length <= limit) return hashes
    return Array.from({ length: limit }, (_, i) => hashes[Math.floor((i * hashes.length) / limit)]!)
  }

  // ---- what other services read (they ask here rather than query the dataset tables) ----------------

  /**
   * A version's samples in its order, with what training and export read from them. `testFirst` puts the
   * test split first, then validation, then train (for checking an export), and `limit` keeps that many.
   */
  versionSamples(versionId: string, options: { testFirst?: boolean; limit?: number } = {}): VersionSample[] {
    const order = options.testFirst
      ? "CASE vs.split WHEN 'test' THEN 0 WHEN 'validation' THEN 1 ELSE 2 END, vs.position"
      : 'vs.position'
    const rows = this.db
      .prepare(
        `SELECT vs.sample_id, vs.split, vs.class_index, vs.target_value, s.content_hash, s.values_json FROM dataset_version_samples vs
         JOIN samples s ON s.id = vs.sample_id WHERE vs.version_id = ? ORDER BY ${order} LIMIT ?`,
      )
      .all(versionId, options.limit ?? -1) as Array<{
      sample_id: number
      split: Split
      class_index: number | null
      target_value: number | null
      content_hash: string
      values_json: string | null
    }>
    return rows.map((r) => ({
      sampleId: r.sample_id,
      split: r.split,
      classIndex: r.class_index,
      targetValue: r.target_value,
      hash: r.content_hash,
      values: r.values_json ? (JSON.parse(r.values_json) as TableRowValues) : null,
    }))
  }

  /** How many labelled samples of each class each split of a version holds. */
  versionClassCounts(versionId: string): Array<{ split: Split; classIndex: number; n: number }> {
    return (
      this.db
        .prepare(
          'SELECT split, class_index, count(*) AS n FROM dataset_version_samples WHERE version_id = ? AND class_index IS NOT NULL GROUP BY split, class_index',
        )
        .all(versionId) as Array<{ split: Split; class_index: number; n: number }>
    ).map((r) => ({ split: r.split, classIndex: r.class_index, n: r.n }))
  }

  /** Builds (or reuses) the version's pixel cache at this input shape, for training. */
  buildImageCache(
    blobs: BlobStore,
    versionId: string,
    shape: InputShape,
    onProgress?: (done: number, total: number) => void,
  ): Promise<CacheMeta> {
    return buildImageCache(this.db, blobs, versionId, shape, onProgress)
  }

  /** Every row's values of a table dataset (the encoder sees every category, labelled or not). */
  tableValues(datasetId: string): TableRowValues[] {
    return (
      this.db.prepare('SELECT values_json FROM samples WHERE dataset_id = ?').all(datasetId) as Array<{
        values_json: string
      }>
    ).map((r) => JSON.parse(r.values_json) as TableRowValues)
  }

  /** Up to `limit` unlabelled samples, oldest first. */
  unlabeledSamples(datasetId: string, limit: number): Array<{ id: number; hash: string }> {
    return (
      this.db
        .prepare('SELECT id, content_hash FROM samples WHERE dataset_id = ? AND class_id IS NULL ORDER BY id LIMIT ?')
        .all(datasetId, limit) as Array<{ id: number; content_hash: string }>
    ).map((r) => ({ id: r.id, hash: r.content_hash }))
  }

  /** Up to `limit` labelled samples' content hashes, in hash order (a stable, spread-out pick). */
  labeledHashes(datasetId: string, limit: number): string[] {
    return (
      this.db
        .prepare(
          'SELECT content_hash FROM samples WHERE dataset_id = ? AND class_id IS NOT NULL ORDER BY content_hash LIMIT ?',
        )
        .all(datasetId, limit) as Array<{ content_hash: string }>
    ).map((r) => r.content_hash)
  }

  /** One sample of the dataset with its current class name, or undefined when it is not the dataset's. */
  sample(
    datasetId: string,
    sampleId: number,
  ): { hash: string; className: string | null; values: TableRowValues | null; targetValue: number | null } | undefined {
    const s = this.db
      .prepare(
        'SELECT s.content_hash, s.values_json, s.target_value, c.name AS class FROM samples s LEFT JOIN classes c ON c.id = s.class_id WHERE s.id = ? AND s.dataset_id = ?',
      )
      .get(sampleId, datasetId) as
      | { content_hash: string; values_json: string | null; target_value: number | null; class: string | null }
      | undefined
    return (
      s && {
        hash: s.content_hash,
        className: s.class,
        values: s.values_json ? (JSON.parse(s.values_json) as TableRowValues) : null,
        targetValue: s.target_value,
      }
    )
  }

  /** Samples by id: content hash, file name, current class and a table row's values. */
  samplesById(
    ids: readonly number[],
  ): Map<number, { hash: string; name: string; classId: number | null; values: TableRowValues | null }> {
    const out = new Map<number, { hash: string; name: string; classId: number | null; values: TableRowValues | null }>()
    const get = this.db.prepare(
      'SELECT id, content_hash, original_name, class_id, values_json FROM samples WHERE id = ?',
    )
    for (const id of ids) {
      const r = get.get(id) as
        | {
            id: number
            content_hash: string
            original_name: string
            class_id: number | null
            values_json: string | null
          }
        | undefined
      if (r)
        out.set(r.id, {
          hash: r.content_hash,
          name: r.original_name,
          classId: r.class_id,
          values: r.values_json ? (JSON.parse(r.values_json) as TableRowValues) : null,
        })
    }
    return out
  }

  version(versionId: string): DatasetVersion {
    const row = this.db.prepare('SELECT * FROM dataset_versions WHERE id = ?').get(versionId) as VersionRow | undefined
    if (!row) throw notFound('Dataset version', versionId)
    return toVersion(row)
  }
}
