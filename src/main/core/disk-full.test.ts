import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import type { ImportInfo, Project } from '../../shared/contract'
import { value } from '../test-support/result'
import { useTempDirs } from '../test-support/temp-dir'
import { createCore } from './core'
import { diskFullMessage } from './errors'
import { databaseFileName } from './store/database'

const tempDir = useTempDirs()
const mounts: string[] = []
afterEach(() => {
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m])
})

/** A small file system of its own (tmpfs), or null where mounting is not allowed (not root, a sandbox). */
function smallDisk(sizeKiB: number): string | null {
  const dir = join(tempDir(), 'disk')
  mkdirSync(dir)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    return null
  }
  mounts.push(dir)
  return dir
}

const canMount = smallDisk(64) !== null
if (!canMount) console.log('disk-full test skipped: this machine does not allow mounting a small file system (tmpfs)')

async function noiseImage(seed: number, size = 160): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size * 3)
  let x = Math.imul(seed, 2654435761) >>> 0
  for (let i = 0; i < pixels.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    pixels[i] = x >>> 24
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer()
}

describe('a full disk', () => {
  it.skipIf(!canMount)(
    'ends an import with a plain reason, keeps the whole batches, and the re-run completes once there is room',
    async () => {
      const disk = smallDisk(2048)!
      const source = join(tempDir(), 'photos')
      mkdirSync(source)
      for (let i = 0; i < 40; i++) writeFileSync(join(source, `${i}.png`), await noiseImage(i + 1))
      const dataDir = join(disk, 'data')
      const core = createCore({ dataDir, shell: 'server', version: 't', import: { batchSize: 5 } })
      const project = value<Project>(await core.call('projects.create', { name: 'Photos' }))
      const first = value<ImportInfo>(
        await core.call('datasets.importImages', { projectId: project.id, paths: [source] }),
      )
      const ended = await core.imports.whenDone(first.id)
      expect(ended, JSON.stringify(ended)).toMatchObject({ status: 'failed' })
      expect(ended.error).toBe(diskFullMessage)
      // The process is still serving, and what was committed is whole.
      expect((await core.call('projects.list', {})).ok).toBe(true)
      const kept = ended.imported
      const db = new Database(join(dataDir, databaseFileName), { readonly: true })
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect((db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n).toBe(kept)
      db.close()

      execFileSync('mount', ['-o', 'remount,size=32m', disk])
      const again = value<ImportInfo>(
        await core.call('datasets.importImages', { projectId: project.id, paths: [source] }),
      )
      const done = await core.imports.whenDone(again.id)
      expect(done).toMatchObject({ status: 'completed', imported: 40 - kept, duplicates: kept })
      await core.close()
    },
    60_000,
  )
})
