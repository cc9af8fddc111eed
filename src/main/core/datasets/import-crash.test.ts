import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { solidImage } from '../../../../tests/fixtures/image-corpus'
import type { ImportInfo, Project } from '../../../shared/contract'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore } from '../core'
import { databaseFileName } from '../store/database'

const tempDir = useTempDirs()
const child = fileURLToPath(new URL('../../test-support/import-child.ts', import.meta.url))

describe('an import killed mid-way', () => {
  it('leaves a sound database with only whole batches, and a re-run completes without duplicates', async () => {
    const dir = tempDir()
    const dataDir = join(dir, 'data')
    const folder = join(dir, 'images')
    const total = 400
    const batch = 10
    for (const cls of ['a', 'b']) mkdirSync(join(folder, cls), { recursive: true })
    for (let i = 0; i < total; i++)
      writeFileSync(join(folder, i % 2 ? 'a' : 'b', `${i}.png`), await solidImage('png', i, 16))

    const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir, folder, String(batch)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const killedAt = await new Promise<number>((resolve, reject) => {
      let buffered = ''
      proc.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        for (const line of buffered.split('\n').slice(0, -1)) {
          if (line === 'done') reject(new Error('the import finished before it could be killed'))
          const p = JSON.parse(line) as { processed: number }
          if (p.processed >= 3 * batch) {
            proc.kill('SIGKILL')
            resolve(p.processed)
          }
        }
        buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
      })
      proc.once('exit', (code) => reject(new Error(`child exited (${code}) before being killed: ${stderr}`)))
    })
    await new Promise((r) => proc.once('close', r))
    expect(killedAt).toBeLessThan(total)

    const db = new Database(join(dataDir, databaseFileName))
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    const { n } = db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }
    const row = db.prepare('SELECT status, imported FROM imports').get() as { status: string; imported: number }
    db.close()
    expect(n % batch).toBe(0)
    expect(n).toBeGreaterThanOrEqual(killedAt)
    expect(n).toBeLessThan(total)
    expect(row).toEqual({ status: 'running', imported: n })

    // Opening the app again marks the import that was cut off as interrupted.
    const interruptedId = firstImportId(dataDir)
    const core = createCore({ dataDir, shell: 'server', version: 't' })
    const projects = ((await core.call('projects.list', {})) as { ok: true; value: Project[] }).value
    expect(core.imports.get(interruptedId).status).toBe('interrupted')
    const rerun = (await core.call('datasets.importImages', { projectId: projects[0]!.id, paths: [folder] })) as {
      ok: true
      value: ImportInfo
    }
    const done = await core.imports.whenDone(rerun.value.id)
    expect(done).toMatchObject({ status: 'completed', imported: total - n, duplicates: n, skipped: 0 })
    await core.close()
    const after = new Database(join(dataDir, databaseFileName))
    expect(after.prepare('SELECT count(*) AS n, count(DISTINCT content_hash) AS d FROM samples').get()).toEqual({
      n: total,
      d: total,
    })
    after.close()
  }, 60_000)
})

function firstImportId(dataDir: string): string {
  const db = new Database(join(dataDir, databaseFileName), { readonly: true })
  try {
    return (db.prepare('SELECT id FROM imports ORDER BY started_at LIMIT 1').get() as { id: string }).id
  } finally {
    db.close()
  }
}
