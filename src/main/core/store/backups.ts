/**
 * Backups of the database in `<data>/backups/`: a consistent copy made by SQLite itself (`VACUUM INTO`,
 * safe while the app writes), daily and before each migration, the newest few kept. `modelbench
 * restore` puts one back (see database.ts `restoreBackup`).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'

export const backupsDirName = 'backups'
export const keptBackups = 7
const day = 24 * 60 * 60 * 1000

export interface BackupInfo {
  file: string
  reason: string
  createdAt: number
  bytes: number
}

/** Backups, newest first. */
export function listBackups(dataDir: string): BackupInfo[] {
  const dir = join(dataDir, backupsDirName)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out: BackupInfo[] = []
  for (const name of names) {
    const m = /^modelbench-(\d+)-([a-z0-9-]+)\.sqlite$/.exec(name)
    if (!m) continue
    const file = join(dir, name)
    out.push({ file, reason: m[2]!, createdAt: Number(m[1]), bytes: statSync(file).size })
  }
  return out.sort((a, b) => b.createdAt - a.createdAt)
}

export function makeBackup(db: Database.Database, dataDir: string, reason: string, now = Date.now()): BackupInfo {
  const dir = join(dataDir, backupsDirName)
  const file = join(dir, `modelbench-${now}-${reason}.sqlite`)
  const partial = `${file}.partial`
  rmSync(partial, { force: true })
  if (!existsSync(dir)) mkdirSync(dir)
  try {
    db.prepare('VACUUM INTO ?').run(partial)
    renameSync(partial, file)
  } catch (err) {
    rmSync(partial, { force: true })
    throw err
  }
  for (const old of listBackups(dataDir).slice(keptBackups)) rmSync(old.file, { force: true })
  return { file, reason, createdAt: now, bytes: statSync(file).size }
}

/** A backup if the newest one is more than a day old (or there is none); a failure is only logged. */
export function dailyBackup(db: Database.Database, dataDir: string, now = Date.now()): BackupInfo | null {
  const newest = listBackups(dataDir)[0]
  if (newest && now - newest.createdAt < day) return null
  try {
    return makeBackup(db, dataDir, 'daily', now)
  } catch (err) {
    console.error('modelbench: could not back up the database:', err)
    return null
  }
}
