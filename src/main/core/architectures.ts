/**
 * Saved model architectures: a spec under a name, versioned (saving under an existing name adds a
 * version; earlier versions stay, since runs record the exact spec they used anyway).
 */
import { randomUUID } from 'node:crypto'
import type { Architecture } from '../../shared/contract'
import { analyzeStack, canonicalSpec, storedSpec } from '../../shared/model/registry'
import type { ModelSpec } from '../../shared/model/types'
import { AppError, notFound } from './errors'
import type { Db } from './store/database'
import { messageOf } from '../../shared/messages'

interface Row {
  id: string
  project_id: string
  name: string
  version: number
  spec_json: string
  created_at: number
}

const toArchitecture = (r: Row): Architecture => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  version: r.version,
  spec: storedSpec(r.spec_json),
  createdAt: r.created_at,
})

export class ArchitecturesService {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  list(projectId: string): Architecture[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM architectures WHERE project_id = ? AND deleted_at IS NULL ORDER BY lower(name), version DESC',
      )
      .all(projectId) as Row[]
    return rows.map(toArchitecture)
  }

  save(projectId: string, name: string, raw: ModelSpec): Architecture {
    let spec: ModelSpec
    try {
      spec = canonicalSpec(raw)
    } catch (err) {
      throw new AppError('INVALID_ARGUMENT', messageOf(err), 'spec')
    }
    const problem = analyzeStack(spec).firstError
    if (problem)
      throw new AppError('INVALID_ARGUMENT', `The model cannot be saved as it is: ${problem.message}`, 'spec')
    const { v } = this.db
      .prepare(
        'SELECT coalesce(max(version), 0) AS v FROM architectures WHERE project_id = ? AND lower(name) = lower(?) AND deleted_at IS NULL',
      )
      .get(projectId, name) as { v: number }
    const row: Row = {
      id: randomUUID(),
      project_id: projectId,
      name,
      version: v + 1,
      spec_json: JSON.stringify(spec),
      created_at: this.now(),
    }
    this.db
      .prepare(
        'INSERT INTO architectures (id, project_id, name, version, spec_json, created_at) VALUES (@id, @project_id, @name, @version, @spec_json, @created_at)',
      )
      .run(row)
    return toArchitecture(row)
  }

  rename(projectId: string, name: string, newName: string): { renamed: number } {
    return this.db.transaction(() => {
      const clash = this.db
        .prepare(
          'SELECT 1 FROM architectures WHERE project_id = ? AND lower(name) = lower(?) AND deleted_at IS NULL AND lower(name) != lower(?)',
        )
        .get(projectId, newName, name)
      if (clash) throw new AppError('CONFLICT', `An architecture named "${newName}" already exists`, 'newName')
      const info = this.db
        .prepare(
          'UPDATE architectures SET name = ? WHERE project_id = ? AND lower(name) = lower(?) AND deleted_at IS NULL',
        )
        .run(newName, projectId, name)
      if (info.changes === 0) throw notFound('Architecture', name)
      return { renamed: info.changes }
    })()
  }

  delete(projectId: string, name: string): { deleted: number } {
    const info = this.db
      .prepare(
        'UPDATE architectures SET deleted_at = ? WHERE project_id = ? AND lower(name) = lower(?) AND deleted_at IS NULL',
      )
      .run(this.now(), projectId, name)
    if (info.changes === 0) throw notFound('Architecture', name)
    return { deleted: info.changes }
  }
}
