import { spawn, type ChildProcess } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { solidImage } from '../../../../tests/fixtures/image-corpus'
import type { ImportInfo, Project } from '../../../shared/contract'
import { value } from '../../test-support/result'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore } from '../core'
import { listBackups, makeBackup } from './backups'
import { CorruptDatabaseError, databaseFileName, openDatabase, restoreBackup } from './database'
import { acquireLock, DataDirLockedError, lockFileName, lockOwner } from './lock'

const tempDir = useTempDirs()
const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
})

/** A live process that is not this one, standing in for another ModelBench. */
function otherProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
  children.push(child)
  return child.pid!
}

function writeLock(dataDir: string, pid: number, extra: object = {}): void {
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(
    join(dataDir, lockFileName),
    JSON.stringify({ pid, host: hostname(), kind: 'server', startedAt: Date.now(), ...extra }),
  )
}

/** Overwrites `bytes` bytes at `offset` of a file with junk, as a failing disk would. */
function damage(file: string, offset: number, bytes: number): void {
  const fd = openSync(file, 'r+')
  writeSync(fd, Buffer.alloc(bytes, 0xa5), 0, bytes, offset)
  closeSync(fd)
}

/** The first page of a table's b-tree, where a flipped page hurts. */
function rootPage(file: string, table: string): number {
  const db = new Database(file, { readonly: true })
  const { rootpage } = db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(table) as {
    rootpage: number
  }
  db.close()
  return rootpage
}

async function dataDirWithProject(): Promise<string> {
  const dataDir = join(tempDir(), 'data')
  const core = createCore({ dataDir, shell: 'server', version: 't' })
  value<Project>(await core.call('projects.create', { name: 'Keep me' }))
  await core.close()
  return dataDir
}

describe('the data directory lock', () => {
  it('refuses a second owner while the first is alive, naming it, and takes over a lock whose process is gone', () => {
    const dataDir = join(tempDir(), 'data')
    const pid = otherProcess()
    writeLock(dataDir, pid, { url: 'http://127.0.0.1:4799/' })
    expect(() => createCore({ dataDir, shell: 'server', version: 't' })).toThrow(DataDirLockedError)
    expect(() => createCore({ dataDir, shell: 'server', version: 't' })).toThrow(
      new RegExp(`in use by the ModelBench server at http://127.0.0.1:4799/ \\(process ${pid}`),
    )
    // A command beside the owner (export) does not take the lock.
    createCore({ dataDir, shell: 'server', version: 't', ownsWork: false }).close()

    writeLock(dataDir, 2 ** 22 + 12345) // no such process
    const core = createCore({ dataDir, shell: 'server', version: 't' })
    expect(lockOwner(dataDir)?.pid).toBe(process.pid)
    void core.close().then(() => expect(existsSync(join(dataDir, lockFileName))).toBe(false))
  })

  it('keeps the lock file private and records a server address for commands', () => {
    const dataDir = join(tempDir(), 'data')
    mkdirSync(dataDir)
    const lock = acquireLock(dataDir, 'server')
    lock.update({ url: 'http://127.0.0.1:1/', token: 'abc' })
    expect(statSync(join(dataDir, lockFileName)).mode & 0o077).toBe(0)
    expect(lockOwner(dataDir)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:1/', token: 'abc' })
    lock.release()
    expect(lockOwner(dataDir)).toBeNull()
  })
})

describe('a damaged database', () => {
  it('is detected at start in plain words and never written to: flipped pages, a damaged header, an empty file', async () => {
    const cases: Array<[string, (file: string) => void, RegExp]> = [
      [
        'flipped pages',
        (f) => damage(f, (rootPage(f, 'projects') - 1) * 4096, 400),
        /is damaged \((SQLite's check found|database disk image is malformed)/,
      ],
      ['a damaged header', (f) => damage(f, 0, 100), /is damaged \(it is not a SQLite database|file is not a database/],
      ['a damaged schema page', (f) => damage(f, 100, 3900), /is damaged/],
      [
        'an empty file beside images',
        (f) => writeFileSync(f, ''),
        /is damaged \(the file is empty \(0 bytes\), although the folder holds imported images/,
      ],
    ]
    for (const [name, harm, message] of cases) {
      const dataDir = await dataDirWithProject()
      mkdirSync(join(dataDir, 'blobs', 'ab'), { recursive: true })
      writeFileSync(join(dataDir, 'blobs', 'ab', 'ab'.repeat(32)), 'image')
      const file = join(dataDir, databaseFileName)
      harm(file)
      const before = readFileSync(file)
      let error: unknown
      try {
        createCore({ dataDir, shell: 'server', version: 't' })
      } catch (err) {
        error = err
      }
      expect(error, name).toBeInstanceOf(CorruptDatabaseError)
      expect((error as Error).message, name).toMatch(message)
      expect((error as Error).message, name).toContain('Nothing was written to it')
      expect((error as Error).message, name).toContain('modelbench restore')
      expect(readFileSync(file).equals(before), name).toBe(true)
      // The refusal let go of the lock.
      expect(lockOwner(dataDir), name).toBeNull()
    }
  })

  it('keeps daily backups and one before each migration, the newest few, and restores one keeping the replaced file', async () => {
    const dataDir = await dataDirWithProject()
    const daily = listBackups(dataDir)
    expect(daily.map((b) => b.reason)).toEqual(['daily'])
    const db = openDatabase(dataDir)
    for (let i = 1; i <= 9; i++) makeBackup(db, dataDir, 'test', Date.now() + i * 1000)
    db.close()
    expect(listBackups(dataDir)).toHaveLength(7)

    // A migration on a database with data is preceded by a backup.
    const migrationsDir = tempDir()
    openDatabase(migrationsDir, {
      migrations: [{ id: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER) STRICT;' }],
    }).close()
    openDatabase(migrationsDir, {
      migrations: [
        { id: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
        { id: 2, name: 'b', sql: 'CREATE TABLE b (y INTEGER) STRICT;' },
      ],
    }).close()
    expect(listBackups(migrationsDir).map((b) => b.reason)).toEqual(['before-migration-2'])

    const file = join(dataDir, databaseFileName)
    damage(file, 0, 100)
    const { restored, keptAs } = restoreBackup(dataDir)
    expect(restored).toBe(listBackups(dataDir)[0]!.file)
    expect(existsSync(keptAs!)).toBe(true)
    const core = createCore({ dataDir, shell: 'server', version: 't' })
    expect(value<Project[]>(await core.call('projects.list', {})).map((p) => p.name)).toEqual(['Keep me'])
    await core.close()
  })
})

describe('files no sample refers to', () => {
  it('are removed at start when older than the process, and images in use stay', async () => {
    const dir = tempDir()
    const dataDir = join(dir, 'data')
    const first = createCore({ dataDir, shell: 'server', version: 't' })
    const project = value<Project>(await first.call('projects.create', { name: 'Images' }))
    writeFileSync(join(dir, 'kept.png'), await solidImage('png', 5))
    await first.imports.whenDone(
      value<ImportInfo>(
        await first.call('datasets.importImages', { projectId: project.id, paths: [join(dir, 'kept.png')] }),
      ).id,
    )
    await first.close()
    const kept = readdirSync(join(dataDir, 'blobs')).map((shard) =>
      join(dataDir, 'blobs', shard, readdirSync(join(dataDir, 'blobs', shard))[0]!),
    )[0]!
    const orphan = join(dataDir, 'blobs', 'cd', 'cd'.repeat(32))
    const orphanThumb = join(dataDir, 'thumbs', 'cd', `${'cd'.repeat(32)}.webp`)
    const fresh = join(dataDir, 'blobs', 'ef', 'ef'.repeat(32))
    for (const f of [orphan, orphanThumb, fresh]) {
      mkdirSync(join(f, '..'), { recursive: true })
      writeFileSync(f, 'x')
    }
    const old = new Date(Date.now() - 3600_000)
    utimesSync(orphan, old, old)
    utimesSync(orphanThumb, old, old)
    utimesSync(kept, old, old)
    const core = createCore({ dataDir, shell: 'server', version: 't' })
    await expect.poll(() => existsSync(orphan)).toBe(false)
    expect(existsSync(orphanThumb)).toBe(false)
    // Written after this process started (an import of this process): never touched.
    expect(existsSync(fresh)).toBe(true)
    expect(existsSync(kept)).toBe(true)
    await core.close()
  })
})
