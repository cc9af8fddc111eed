/**
 * One process owns a data directory at a time: `modelbench.lock` beside the database names the owner
 * (pid, what it is, since when, and for a server its address and token, so a command can ask it to do
 * the work). A second app or server refuses to open the directory with a message naming the owner; a
 * lock whose process is gone is taken over. The file is readable by its user only (it holds the token).
 */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { DataDirError } from './database'

export const lockFileName = 'modelbench.lock'

export interface LockOwner {
  pid: number
  host: string
  /** 'app' (the desktop window), 'server' (`modelbench serve`) or a test's name. */
  kind: string
  startedAt: number
  url?: string
  token?: string
}

export class DataDirLockedError extends DataDirError {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    const what =
      owner.kind === 'server'
        ? `the ModelBench server${owner.url ? ` at ${owner.url}` : ''}`
        : owner.kind === 'app'
          ? 'the ModelBench app'
          : `ModelBench (${owner.kind})`
    super(
      `${dataDir} is in use by ${what} (process ${owner.pid}, started ${new Date(owner.startedAt).toLocaleString()}). ` +
        'Use that one, close it first, or choose another data directory.',
    )
    this.name = 'DataDirLockedError'
  }
}

function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true // another machine on a shared folder: assume it is alive
  if (owner.pid === process.pid) return true
  try {
    process.kill(owner.pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  if (process.platform !== 'linux') return true
  // A reused pid: alive, but not ModelBench.
  try {
    return /node|electron|modelbench/i.test(readFileSync(`/proc/${owner.pid}/cmdline`, 'utf8'))
  } catch {
    return false
  }
}

/** Who holds the lock on `dataDir` now, if anyone alive does. */
export function lockOwner(dataDir: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(join(dataDir, lockFileName), 'utf8')) as LockOwner
    return typeof owner.pid === 'number' && alive(owner) ? owner : null
  } catch {
    return null
  }
}

export interface DataDirLock {
  readonly owner: LockOwner
  /** Adds what a command needs to reach this owner (a server's address and token). */
  update(extra: Pick<LockOwner, 'url' | 'token'>): void
  release(): void
}

export function acquireLock(dataDir: string, kind: string, now: () => number = Date.now): DataDirLock {
  const file = join(dataDir, lockFileName)
  let owner: LockOwner = { pid: process.pid, host: hostname(), kind, startedAt: now() }
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      try {
        writeSync(fd, JSON.stringify(owner))
      } finally {
        closeSync(fd)
      }
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err
      const held = lockOwner(dataDir)
      if (held && held.pid !== process.pid) throw new DataDirLockedError(dataDir, held)
      // Left by a process that is gone (or half-written by one that died writing it): take it over.
      rmSync(file, { force: true })
    }
  }
  let released = false
  return {
    get owner() {
      return owner
    },
    update(extra) {
      owner = { ...owner, ...extra }
      writeFileSync(file, JSON.stringify(owner), { mode: 0o600 })
    },
    release() {
      if (released) return
      released = true
      try {
        const current = JSON.parse(readFileSync(file, 'utf8')) as LockOwner
        if (current.pid === process.pid) rmSync(file, { force: true })
      } catch {
        // Already gone.
      }
    },
  }
}
