import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../test-support/temp-dir'
import { databaseFileName, migrationHash, openDatabase, SchemaError, schemaVersion } from './database'
import { migrations, type Migration } from './migrations'

const tempDir = useTempDirs()

describe('openDatabase', () => {
  it('creates the database with WAL, foreign keys and every migration recorded with its hash', () => {
    const dir = tempDir()
    const db = openDatabase(dir)
    expect(existsSync(join(dir, databaseFileName))).toBe(true)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
    const rows = db.prepare('SELECT id, name, hash FROM schema_migrations ORDER BY id').all()
    expect(rows).toEqual(migrations.map((m) => ({ id: m.id, name: m.name, hash: migrationHash(m) })))
    expect(schemaVersion(db)).toBe(migrations.at(-1)!.id)
    db.close()
  })

  it('applies nothing twice when reopened', () => {
    const dir = tempDir()
    openDatabase(dir).close()
    const db = openDatabase(dir)
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: migrations.length })
    db.close()
  })

  it('applies a new migration to an existing database, keeping the data', () => {
    const dir = tempDir()
    const first: Migration[] = [{ id: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER) STRICT;' }]
    const db1 = openDatabase(dir, { migrations: first })
    db1.prepare('INSERT INTO a VALUES (42)').run()
    db1.close()
    const second = [...first, { id: 2, name: 'b', sql: 'ALTER TABLE a ADD COLUMN y INTEGER;' }]
    const db2 = openDatabase(dir, { migrations: second })
    expect(db2.prepare('SELECT x, y FROM a').all()).toEqual([{ x: 42, y: null }])
    expect(schemaVersion(db2)).toBe(2)
    db2.close()
  })

  it('refuses a database whose applied migration was edited afterwards', () => {
    const dir = tempDir()
    openDatabase(dir, { migrations: [{ id: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER) STRICT;' }] }).close()
    const edited = [{ id: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER, z TEXT) STRICT;' }]
    expect(() => openDatabase(dir, { migrations: edited })).toThrow(SchemaError)
    expect(() => openDatabase(dir, { migrations: edited })).toThrow(/migration 1 \("a"\).*hash does not match/)
  })

  it('refuses a database with a newer schema than the app knows', () => {
    const dir = tempDir()
    const newer = [...migrations, { id: 999, name: 'from the future', sql: 'CREATE TABLE future (x INTEGER);' }]
    openDatabase(dir, { migrations: newer }).close()
    expect(() => openDatabase(dir)).toThrow(
      /schema version 999 \("from the future"\), newer than this ModelBench knows/,
    )
  })

  it('rolls back a migration that fails part-way, leaving it unrecorded', () => {
    const dir = tempDir()
    const broken = [{ id: 1, name: 'broken', sql: 'CREATE TABLE ok (x INTEGER); CREATE TABLE ok (x INTEGER);' }]
    expect(() => openDatabase(dir, { migrations: broken })).toThrow(/already exists/)
    const db = openDatabase(dir, { migrations: [] })
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok'").all()).toEqual([])
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: 0 })
    db.close()
  })
})
