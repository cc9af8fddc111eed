/**
 * Projects: create, list, rename, soft-delete and restore. Rows map to `Project` in one place (`toProject`).
 * A deleted project keeps its row (deleted_at set) so the UI can undo the delete.
 */
import { randomUUID } from 'node:crypto'
import type { Project, ProjectDrafts } from '../../shared/contract'
import { AppError, notFound } from './errors'
import type { Db } from './store/database'

interface ProjectRow {
  id: string
  name: string
  description: string
  created_at: number
  updated_at: number
  opened_at: number | null
  deleted_at: number | null
}

/** Drafts are the user's unsaved work, not a place for data: a model spec and a settings form fit easily. */
const maxDraftBytes = 256 * 1024

const draftKey = (projectId: string): string => `drafts.${projectId}`

function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    openedAt: row.opened_at,
  }
}

export class ProjectsService {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  list(): Project[] {
    const rows = this.db
      .prepare('SELECT * FROM projects WHERE deleted_at IS NULL ORDER BY updated_at DESC, name')
      .all() as ProjectRow[]
    return rows.map(toProject)
  }

  get(id: string): Project {
    return toProject(this.activeRow(id))
  }

  create(name: string, description = ''): Project {
    this.assertNameFree(name)
    const t = this.now()
    const row: ProjectRow = {
      id: randomUUID(),
      name,
      description,
      created_at: t,
      updated_at: t,
      opened_at: null,
      deleted_at: null,
    }
    this.db
      .prepare(
        'INSERT INTO projects (id, name, description, created_at, updated_at) VALUES (@id, @name, @description, @created_at, @updated_at)',
      )
      .run(row)
    return toProject(row)
  }

  /** True once: on the data directory's very first start (when the sample project is offered). */
  firstStart(): boolean {
    if (this.db.prepare("SELECT value FROM settings WHERE key = 'sample.created'").get()) return false
    this.db.prepare("INSERT INTO settings (key, value) VALUES ('sample.created', ?)").run(String(Date.now()))
    return true
  }

  /** A data directory's setting (the Engine page's choice…); null when it was never set. */
  setting(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined
    return row?.value ?? null
  }

  /** Sets a setting; null removes it. */
  setSetting(key: string, value: string | null): void {
    if (value === null) this.db.prepare('DELETE FROM settings WHERE key = ?').run(key)
    else
      this.db
        .prepare(
          'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        .run(key, value)
  }

  /** The project's unsaved work: the Model page's draft and the Train page's settings. */
  drafts(id: string): ProjectDrafts {
    this.activeRow(id)
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(draftKey(id)) as
      { value: string } | undefined
    const saved = row ? (JSON.parse(row.value) as Partial<ProjectDrafts>) : {}
    return { model: saved.model ?? null, train: saved.train ?? null }
  }

  saveDrafts(id: string, patch: Partial<ProjectDrafts>): ProjectDrafts {
    const next = { ...this.drafts(id), ...patch }
    const json = JSON.stringify(next)
    if (Buffer.byteLength(json) > maxDraftBytes) {
      throw new AppError(
        'INVALID_ARGUMENT',
        `The draft is ${Math.round(Buffer.byteLength(json) / 1024)} KB; drafts hold at most ${maxDraftBytes / 1024} KB (a model and its settings, not data)`,
      )
    }
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(draftKey(id), json)
    return next
  }

  /** Marks the project as the one the user is working in (the app reopens it next time). */
  open(id: string): Project {
    return this.db.transaction(() => {
      const row = this.activeRow(id)
      const t = this.now()
      this.db.prepare('UPDATE projects SET opened_at = ? WHERE id = ?').run(t, id)
      return toProject({ ...row, opened_at: t })
    })()
  }

  rename(id: string, name: string): Project {
    return this.db.transaction(() => {
      const row = this.activeRow(id)
      if (row.name === name) return toProject(row)
      this.assertNameFree(name, id)
      const t = this.now()
      this.db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(name, t, id)
      return toProject({ ...row, name, updated_at: t })
    })()
  }

  delete(id: string): void {
    this.activeRow(id)
    this.db.prepare('UPDATE projects SET deleted_at = ? WHERE id = ?').run(this.now(), id)
  }

  restore(id: string): Project {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM projects WHERE id = ?').get(id) as ProjectRow | undefined
      if (!row) throw notFound('Project', id)
      if (row.deleted_at === null) return toProject(row)
      this.assertNameFree(row.name, id)
      this.db.prepare('UPDATE projects SET deleted_at = NULL WHERE id = ?').run(id)
      return toProject({ ...row, deleted_at: null })
    })()
  }

  private activeRow(id: string): ProjectRow {
    const row = this.db.prepare('SELECT * FROM projects WHERE id = ? AND deleted_at IS NULL').get(id) as
      ProjectRow | undefined
    if (!row) throw notFound('Project', id)
    return row
  }

  private assertNameFree(name: string, exceptId?: string): void {
    const clash = this.db
      .prepare('SELECT id FROM projects WHERE lower(name) = lower(?) AND deleted_at IS NULL AND id IS NOT ?')
      .get(name, exceptId ?? null) as { id: string } | undefined
    if (clash) throw new AppError('CONFLICT', `A project named "${name}" already exists`, 'name')
  }
}
