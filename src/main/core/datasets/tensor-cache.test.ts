import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { bmpImage } from '../../../../tests/fixtures/image-corpus'
import type { DatasetSummary, DatasetVersion, ImportInfo, Project } from '../../../shared/contract'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore } from '../core'
import { openDatabase } from '../store/database'
import { buildImageCache, cachePaths, ImageCacheReader } from './tensor-cache'
import { value } from '../../test-support/result'

const tempDir = useTempDirs()

describe('image preprocessing cache', () => {
  it('decodes and resizes a version once into rows that read back exactly', async () => {
    const dir = tempDir()
    const root = join(dir, 'img')
    // Flat colours, so the resized pixels are known exactly: class "dark" is grey 40, "light" is grey 200.
    for (const [cls, grey] of [
      ['dark', 40],
      ['light', 200],
    ] as const) {
      mkdirSync(join(root, cls), { recursive: true })
      for (let i = 0; i < 6; i++) {
        const png = await sharp({
          create: { width: 10 + i, height: 7, channels: 3, background: { r: grey, g: grey, b: grey } },
        })
          .png()
          .toBuffer()
        writeFileSync(join(root, cls, `${i}.png`), png)
      }
    }
    writeFileSync(join(root, 'dark', 'bitmap.bmp'), bmpImage(0, 4, 4).fill(40, 54))
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
    const project = value<Project>(await core.call('projects.create', { name: 'C' }))
    await core.imports.whenDone(
      value<ImportInfo>(await core.call('datasets.importImages', { projectId: project.id, paths: [root] })).id,
    )
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))
    const version = value<DatasetVersion>(await core.call('datasets.freezeVersion', { datasetId: dataset.id }))
    await core.close()

    const db = openDatabase(join(dir, 'data'))
    const shape = { height: 4, width: 5, channels: 1 } as const
    const progress: number[] = []
    const meta = await buildImageCache(db, core.blobs, version.id, shape, (done) => progress.push(done))
    expect(meta.count).toBe(13)
    expect(progress.at(-1)).toBe(13)
    const paths = cachePaths(join(dir, 'data'), version.id, shape)
    expect(statSync(paths.data).size).toBe(13 * 4 * 5)
    const reader = new ImageCacheReader(paths.data, meta)
    for (let i = 0; i < meta.count; i++) {
      const row = reader.read([i])
      const expected = meta.classIndex[i] === 0 ? 40 : 200
      expect(
        [...row].every((p) => Math.abs(p - expected) <= 1),
        `row ${i}`,
      ).toBe(true)
    }
    const batch = reader.read([2, 3, 4, 9])
    expect(batch.length).toBe(4 * 20)
    expect(() => reader.read([13])).toThrow(/outside the cache/)
    reader.close()
    // A second build reuses the file.
    const mtime = statSync(paths.data).mtimeMs
    await buildImageCache(db, core.blobs, version.id, shape)
    expect(statSync(paths.data).mtimeMs).toBe(mtime)
    const rgb = await buildImageCache(db, core.blobs, version.id, { height: 3, width: 3, channels: 3 })
    expect(statSync(cachePaths(join(dir, 'data'), version.id, rgb.shape).data).size).toBe(13 * 27)
    db.close()
  })
})
