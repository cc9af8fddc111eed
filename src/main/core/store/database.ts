/**
 * Opens the ModelBench database in a data directory: WAL, foreign keys, a busy timeout, and the
 * migrations applied and verified. Everything that fails here is a `SchemaError` with a message a user
 * can act on.
 */
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { migrations as defaultMigrations, type Migration } from './migrations'

export type Db = Database.Database

export class SchemaError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SchemaError'
  }
}

export const databaseFileName = 'modelbench.sqlite'

export interface OpenDatabaseOptions {
  /** Path of a better-sqlite3 addon built for this runtime (Electron's ABI differs from Node's). */
  nativeBinding?: string
  migrations?: readonly Migration[]
}

export function migrationHash(m: Migration): string {
  return createHash('sha256').update(m.sql).digest('hex')
}

export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Db {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, databaseFileName)
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    db.pragma('synchronous = NORMAL')
    applyMigrations(db, file, options.migrations ?? defaultMigrations)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

interface AppliedRow {
  id: number
  name: string
  hash: string
}

function applyMigrations(db: Db, file: string, known: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`)
  const applied = db.prepare('SELECT id, name, hash FROM schema_migrations ORDER BY id').all() as AppliedRow[]
  const byId = new Map(known.map((m) => [m.id, m]))
  const newest = known.reduce((max, m) => Math.max(max, m.id), 0)
  for (const row of applied) {
    const m = byId.get(row.id)
    if (!m) {
      throw new SchemaError(
        `The database ${file} has schema version ${row.id} ("${row.name}"), newer than this ModelBench knows ` +
          `(up to ${newest}). Update ModelBench, or choose another data directory.`,
      )
    }
    if (migrationHash(m) !== row.hash) {
      throw new SchemaError(
        `The database ${file} was set up by a different build of migration ${row.id} ("${row.name}"): ` +
          `its recorded hash does not match. Refusing to open it rather than risk the data.`,
      )
    }
  }
  const done = new Set(applied.map((r) => r.id))
  const record = db.prepare('INSERT INTO schema_migrations (id, name, hash, applied_at) VALUES (?, ?, ?, ?)')
  for (const m of [...known].sort((a, b) => a.id - b.id)) {
    if (done.has(m.id)) continue
    db.transaction(() => {
      db.exec(m.sql)
      record.run(m.id, m.name, migrationHash(m), Date.now())
    })()
  }
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT max(id) AS v FROM schema_migrations').get() as { v: number | null }
  return row.v ?? 0
}
