/**
 * Opens the ModelBench database in a data directory: checked first (a damaged file is never written
 * to), then WAL, foreign keys, a busy timeout, and the migrations applied and verified, each run of new
 * migrations after a backup. Everything that fails here is a `DataDirError` with a message a user can act on.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { listBackups, makeBackup } from './backups'
import { migrations as defaultMigrations, type Migration } from './migrations'

export type Db = Database.Database

/** The data directory cannot be opened as it is; the message says why and what to do. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DataDirError'
  }
}

export class SchemaError extends DataDirError {
  constructor(message: string) {
    super(message)
    this.name = 'SchemaError'
  }
}

export class CorruptDatabaseError extends DataDirError {
  constructor(message: string) {
    super(message)
    this.name = 'CorruptDatabaseError'
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

/** Whether the data directory already holds work (imported images, runs) that a database would describe. */
function holdsWork(dataDir: string): boolean {
  return ['blobs', 'runs'].some((d) => {
    try {
      return readdirSync(join(dataDir, d)).length > 0
    } catch {
      return false
    }
  })
}

function restoreAdvice(dataDir: string): string {
  const backups = listBackups(dataDir)
  return backups.length > 0
    ? ` ModelBench keeps backups: the newest is ${backups[0]!.file} (${new Date(backups[0]!.createdAt).toLocaleString()}). ` +
        `To go back to it, close ModelBench and run: modelbench restore --data-dir "${dataDir}" (the damaged file is kept beside it).`
    : ' There is no backup of it yet. Keep a copy of the folder, then choose another data directory to go on working.'
}

function corrupt(file: string, dataDir: string, what: string): CorruptDatabaseError {
  return new CorruptDatabaseError(
    `The ModelBench database ${file} is damaged (${what}). Nothing was written to it.${restoreAdvice(dataDir)}`,
  )
}

function isCorruptionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return (
    code === 'SQLITE_CORRUPT' ||
    code === 'SQLITE_NOTADB' ||
    (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'))
  )
}

export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Db {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, databaseFileName)
  const existed = existsSync(file)
  if (existed && statSync(file).size === 0 && !existsSync(`${file}-wal`) && holdsWork(dataDir)) {
    // An empty file beside imported images is a lost database, not a new one.
    throw corrupt(file, dataDir, 'the file is empty (0 bytes), although the folder holds imported images and runs')
  }
  let db: Db
  try {
    db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  } catch (err) {
    if (isCorruptionError(err)) throw corrupt(file, dataDir, 'it is not a SQLite database')
    throw err
  }
  try {
    if (existed && statSync(file).size > 0) {
      let problems: string[]
      try {
        problems = (db.pragma('quick_check(5)') as Array<{ quick_check: string }>).map((r) => r.quick_check)
      } catch (err) {
        if (isCorruptionError(err)) throw corrupt(file, dataDir, (err as Error).message)
        throw err
      }
      if (problems.length !== 1 || problems[0] !== 'ok')
        throw corrupt(file, dataDir, `SQLite's check found: ${problems.slice(0, 3).join('; ')}`)
    }
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    db.pragma('synchronous = NORMAL')
    applyMigrations(db, file, options.migrations ?? defaultMigrations, dataDir)
    return db
  } catch (err) {
    db.close()
    if (isCorruptionError(err)) throw corrupt(file, dataDir, (err as Error).message)
    throw err
  }
}

interface AppliedRow {
  id: number
  name: string
  hash: string
}

function applyMigrations(db: Db, file: string, known: readonly Migration[], dataDir: string): void {
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
  const pending = [...known].sort((a, b) => a.id - b.id).filter((m) => !done.has(m.id))
  // A database that already has data is copied before its schema changes.
  if (pending.length > 0 && applied.length > 0) makeBackup(db, dataDir, `before-migration-${pending[0]!.id}`)
  const record = db.prepare('INSERT INTO schema_migrations (id, name, hash, applied_at) VALUES (?, ?, ?, ?)')
  for (const m of pending) {
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

/**
 * Puts a backup back in place of the database (newest by default). The file it replaces, damaged or
 * not, is kept beside it as `modelbench.sqlite.replaced-<time>`, so a restore loses nothing either.
 */
export function restoreBackup(
  dataDir: string,
  backupFile?: string,
  now = Date.now(),
): { restored: string; keptAs: string | null } {
  const chosen = backupFile ?? listBackups(dataDir)[0]?.file
  if (!chosen) throw new DataDirError(`There is no backup in ${join(dataDir, 'backups')} to restore`)
  if (!existsSync(chosen)) throw new DataDirError(`There is no backup file ${chosen}`)
  const check = new Database(chosen, { readonly: true, fileMustExist: true })
  try {
    const result = check.pragma('quick_check', { simple: true })
    if (result !== 'ok')
      throw new CorruptDatabaseError(`The backup ${chosen} is damaged too (${String(result)}); choose an older one`)
  } finally {
    check.close()
  }
  const file = join(dataDir, databaseFileName)
  const aside = `${file}.replaced-${now}`
  const keptAs = existsSync(file) ? aside : null
  if (keptAs) renameSync(file, keptAs)
  // The old file's write-ahead log goes with it: applied to the backup it would damage it.
  for (const side of ['-wal', '-shm']) if (existsSync(file + side)) renameSync(file + side, aside + side)
  copyFileSync(chosen, file)
  return { restored: chosen, keptAs }
}
