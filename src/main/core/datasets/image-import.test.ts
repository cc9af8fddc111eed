import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { solidImage, writeImageCorpus } from '../../../../tests/fixtures/image-corpus'
import type { DatasetSummary, ImportInfo, ImportIssue, Project, SampleItem } from '../../../shared/contract'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore, type Core } from '../core'
import { value } from '../../test-support/result'

const tempDir = useTempDirs()

async function setup(batchSize = 100): Promise<{ core: Core; project: Project; dir: string }> {
  const dir = tempDir()
  const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't', import: { batchSize } })
  const project = value<Project>(await core.call('projects.create', { name: 'Images' }))
  return { core, project, dir }
}

async function importAndWait(core: Core, projectId: string, paths: string[]): Promise<ImportInfo> {
  const started = value<ImportInfo>(await core.call('datasets.importImages', { projectId, paths }))
  return core.imports.whenDone(started.id)
}

async function issues(core: Core, importId: string): Promise<ImportIssue[]> {
  return value<{ items: ImportIssue[] }>(await core.call('imports.listIssues', { importId, limit: 1000 })).items
}

async function samples(core: Core, datasetId: string, filter: object = { kind: 'all' }): Promise<SampleItem[]> {
  return value<{ items: SampleItem[] }>(await core.call('samples.list', { datasetId, filter, limit: 1000 })).items
}

describe('image import', () => {
  it('imports a folder per class in every format, copies files in by content hash and makes thumbnails', async () => {
    const { core, project, dir } = await setup()
    const root = join(dir, 'photos')
    const corpus = await writeImageCorpus(root)
    const done = await importAndWait(core, project.id, [root])
    expect(done).toMatchObject({
      status: 'completed',
      imported: corpus.good.length,
      duplicates: 0,
      skipped: corpus.bad.length,
    })

    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))!
    expect(dataset.kind).toBe('image')
    expect(dataset.classes.map((c) => [c.name, c.count])).toEqual([
      ['cats', 7],
      ['dogs', 6],
      ['猫 🐱', 1],
    ])
    const items = await samples(core, dataset.id)
    expect(items.map((s) => s.name).sort()).toEqual(corpus.good.map((g) => g.path).sort())
    const bmp = items.find((s) => s.name.endsWith('.bmp'))!
    expect([bmp.width, bmp.height]).toEqual([5, 3])
    for (const s of items) {
      expect(s.hash).toMatch(/^[0-9a-f]{64}$/)
      expect(existsSync(core.blobs.blobPath(s.hash))).toBe(true)
      // Small browser-readable images are their own thumbnails; BMP and TIFF get a converted one.
      const ownThumb = /\.(png|jpg|webp|gif)$/.test(s.name)
      expect(existsSync(core.blobs.thumbPath(s.hash)), s.name).toBe(!ownThumb)
      expect(existsSync(core.blobs.mediaPath('thumbs', s.hash)!)).toBe(true)
      expect(relative(join(dir, 'data'), core.blobs.blobPath(s.hash))).toBe(join('blobs', s.hash.slice(0, 2), s.hash))
    }
    await core.close()
  })

  it('skips every bad file with its reason in the report, and still lands the good ones', async () => {
    const { core, project, dir } = await setup()
    const root = join(dir, 'photos')
    const corpus = await writeImageCorpus(root)
    const done = await importAndWait(core, project.id, [root])
    const report = await issues(core, done.id)
    const skipped = report.filter((i) => i.kind === 'skipped')
    for (const entry of corpus.bad) {
      const issue = skipped.find((i) => i.path === join(root, entry.path))
      expect(issue, `no report line for ${entry.path}`).toBeDefined()
      expect(issue!.reason, entry.path).toMatch(entry.reason!)
    }
    expect(skipped).toHaveLength(corpus.bad.length)
    // The hidden file is no skip: it is counted apart and listed as ignored.
    expect(report.filter((i) => i.path.endsWith('.DS_Store'))).toEqual([
      {
        kind: 'warning',
        path: join(root, 'dogs', '.DS_Store'),
        rowNumber: null,
        reason: 'hidden or system file, ignored',
      },
    ])
    expect(done.ignored).toEqual({ hiddenFiles: 1, emptyFolders: 0 })
    await core.close()
  })

  it('stores duplicates once, reports them, and a re-run imports nothing twice', async () => {
    const { core, project, dir } = await setup()
    const root = join(dir, 'photos')
    mkdirSync(join(root, 'a'), { recursive: true })
    mkdirSync(join(root, 'b'), { recursive: true })
    const img = await solidImage('png', 1)
    writeFileSync(join(root, 'a', 'one.png'), img)
    writeFileSync(join(root, 'b', 'copy-of-one.png'), img)
    writeFileSync(join(root, 'b', 'two.png'), await solidImage('png', 2))
    const first = await importAndWait(core, project.id, [root])
    expect(first).toMatchObject({ imported: 2, duplicates: 1 })
    const [dup] = (await issues(core, first.id)).filter((i) => i.kind === 'duplicate')
    expect(dup).toMatchObject({
      path: join(root, 'b', 'copy-of-one.png'),
      reason: 'same content as a/one.png, already in the dataset',
    })
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))!
    expect((await samples(core, dataset.id, { kind: 'duplicates' })).map((s) => s.name)).toEqual(['a/one.png'])

    const again = await importAndWait(core, project.id, [root])
    expect(again).toMatchObject({ status: 'completed', imported: 0, duplicates: 3 })
    expect(await samples(core, dataset.id)).toHaveLength(2)
    await core.close()
  })

  it('takes the split from train/ and test/ folders, and leaves loose images unlabeled', async () => {
    const { core, project, dir } = await setup()
    const root = join(dir, 'set')
    let seed = 0
    for (const [split, cls, n] of [
      ['train', 'cat', 3],
      ['train', 'dog', 3],
      ['test', 'cat', 1],
      ['test', 'dog', 2],
    ] as const) {
      mkdirSync(join(root, split, cls), { recursive: true })
      for (let i = 0; i < n; i++) writeFileSync(join(root, split, cls, `${i}.png`), await solidImage('png', seed++))
    }
    writeFileSync(join(root, 'train', 'loose.png'), await solidImage('png', seed++))
    await importAndWait(core, project.id, [root])
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))!
    const cat = dataset.classes.find((c) => c.name === 'cat')!
    const dog = dataset.classes.find((c) => c.name === 'dog')!
    expect(dataset.counts.find((c) => c.classId === cat.id)).toMatchObject({
      train: 3,
      test: 1,
      validation: 0,
      none: 0,
    })
    expect(dataset.counts.find((c) => c.classId === dog.id)).toMatchObject({ train: 3, test: 2 })
    expect(dataset.counts.find((c) => c.classId === null)).toMatchObject({ train: 1 })
    expect(dataset.warnings).toContain('1 image is unlabeled and will not be used for training.')
    await core.close()
  })

  it('imports a folder of unlabeled images and loose files', async () => {
    const { core, project, dir } = await setup()
    const root = join(dir, 'unsorted')
    mkdirSync(root)
    for (let i = 0; i < 3; i++) writeFileSync(join(root, `${i}.jpg`), await solidImage('jpeg', i))
    await importAndWait(core, project.id, [root])
    const loose = join(dir, 'extra.webp')
    writeFileSync(loose, await solidImage('webp', 99))
    const second = await importAndWait(core, project.id, [loose, join(dir, 'missing.png')])
    expect(second).toMatchObject({ imported: 1, skipped: 1 })
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))!
    expect(dataset).toMatchObject({ total: 4, labeled: 0 })
    expect((await samples(core, dataset.id, { kind: 'unlabeled' })).map((s) => s.name)).toEqual([
      '0.jpg',
      '1.jpg',
      '2.jpg',
      'extra.webp',
    ])
    await core.close()
  })

  it('cancels between batches, keeping whole batches, and reports progress with a rate', async () => {
    const { core, project, dir } = await setup(5)
    const root = join(dir, 'many', 'x')
    mkdirSync(root, { recursive: true })
    for (let i = 0; i < 40; i++) writeFileSync(join(root, `${i}.png`), await solidImage('png', i, 8))
    const progress: number[] = []
    const started = value<ImportInfo>(
      await core.call('datasets.importImages', { projectId: project.id, paths: [join(dir, 'many')] }),
    )
    core.events.onAny((event, payload) => {
      if (event !== 'import.progressed') return
      const p = payload as { processed: number; total: number; ratePerSecond: number }
      progress.push(p.processed)
      expect(p.total).toBe(40)
      if (p.processed === 10) void core.call('imports.cancel', { importId: started.id })
    })
    const done = await core.imports.whenDone(started.id)
    expect(done.status).toBe('cancelled')
    expect(done.imported % 5).toBe(0)
    expect(done.imported).toBeLessThan(40)
    expect(progress.slice(0, 2)).toEqual([0, 5])
    await core.close()
  })

  it('refuses a second import while one runs, and images into a table project', async () => {
    const { core, project, dir } = await setup()
    const root = join(dir, 'p', 'c')
    mkdirSync(root, { recursive: true })
    for (let i = 0; i < 3; i++) writeFileSync(join(root, `${i}.png`), await solidImage('png', i))
    const first = value<ImportInfo>(
      await core.call('datasets.importImages', { projectId: project.id, paths: [join(dir, 'p')] }),
    )
    expect(await core.call('datasets.importImages', { projectId: project.id, paths: [join(dir, 'p')] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE' },
    })
    await core.imports.whenDone(first.id)
    const csv = join(dir, 't.csv')
    writeFileSync(csv, 'a,b\n1,x\n2,y\n')
    expect(
      await core.call('datasets.importTable', { projectId: project.id, path: csv, targetColumn: 'b' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE', message: expect.stringContaining('This project holds images') },
    })
    await core.close()
  })

  it('imports camera frames sent whole into one class, through an upload that is removed afterwards', async () => {
    const { core, project, dir } = await setup()
    const uploadId = 'camera-0001-test'
    const frames = [await solidImage('jpeg', 1), await solidImage('jpeg', 2), await solidImage('jpeg', 1)]
    for (const [i, f] of frames.entries()) {
      const put = value<{ path: string; root: string }>(
        await core.call('uploads.putFile', {
          uploadId,
          name: `Camera/capture-${i + 1}.jpg`,
          base64: f.toString('base64'),
        }),
      )
      expect(put).toEqual({
        root: join(dir, 'data', 'uploads', uploadId),
        path: join(dir, 'data', 'uploads', uploadId, 'Camera', `capture-${i + 1}.jpg`),
      })
    }
    const started = value<ImportInfo>(
      await core.call('datasets.importImages', {
        projectId: project.id,
        paths: [join(dir, 'data', 'uploads', uploadId, 'Camera')],
        className: ' Thumbs up ',
      }),
    )
    // The report names the folder the app made, not the data directory's upload path.
    expect(started.source).toBe('Camera')
    const done = await core.imports.whenDone(started.id)
    // The third frame is the first again: stored once, reported as a duplicate.
    expect(done).toMatchObject({ status: 'completed', imported: 2, duplicates: 1, skipped: 0 })
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))!
    expect(dataset.classes.map((c) => [c.name, c.count])).toEqual([['Thumbs up', 2]])
    expect((await samples(core, dataset.id)).map((s) => s.name).sort()).toEqual(['capture-1.jpg', 'capture-2.jpg'])
    // Not one "imported unlabeled" warning: the class was given.
    expect((await issues(core, done.id)).filter((i) => i.kind === 'warning')).toEqual([])
    await expect.poll(() => existsSync(join(dir, 'data', 'uploads', uploadId))).toBe(false)

    // A second burst into the same class joins it.
    await core.call('uploads.putFile', {
      uploadId: 'camera-0002-test',
      name: 'capture-1.jpg',
      base64: (await solidImage('jpeg', 3)).toString('base64'),
    })
    const again = value<ImportInfo>(
      await core.call('datasets.importImages', {
        projectId: project.id,
        paths: [join(dir, 'data', 'uploads', 'camera-0002-test')],
        className: 'Thumbs up',
      }),
    )
    expect(await core.imports.whenDone(again.id)).toMatchObject({ imported: 1 })
    expect(
      value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))!.classes.map((c) => [
        c.name,
        c.count,
      ]),
    ).toEqual([['Thumbs up', 3]])
    await core.close()
  })

  it('refuses a sent file with a folder in its name, an upload id of the wrong shape, or too many bytes', async () => {
    const { core } = await setup()
    const base64 = (await solidImage('jpeg', 1)).toString('base64')
    for (const name of ['../x.jpg', 'a/../../b.jpg', '/abs.jpg', '..', 'a\\b.jpg', 'a//b.jpg']) {
      expect(await core.call('uploads.putFile', { uploadId: 'camera-0001-test', name, base64 }), name).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('file name') },
      })
    }
    expect(await core.call('uploads.putFile', { uploadId: '../../x', name: 'a.jpg', base64 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
    expect(
      await core.call('uploads.putFile', {
        uploadId: 'camera-0001-test',
        name: 'a.jpg',
        base64: 'A'.repeat(1_000_000),
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('too large') },
    })
    expect(
      await core.call('uploads.putFile', { uploadId: 'camera-0001-test', name: 'a.jpg', base64: 'not base64!' }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(existsSync(join(core.uploads.dir, 'camera-0001-test'))).toBe(false)
    await core.close()
  })
})
