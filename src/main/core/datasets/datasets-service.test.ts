import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { solidImage } from '../../../../tests/fixtures/image-corpus'
import type {
  ClassInfo,
  DatasetSummary,
  DatasetVersion,
  ImportInfo,
  Project,
  SampleItem,
  TablePreview,
} from '../../../shared/contract'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore, type Core } from '../core'
import { value } from '../../test-support/result'

const tempDir = useTempDirs()

/** A project with `perClass` images in each class folder plus `unlabeled` loose images. */
async function imageProject(
  perClass: Record<string, number>,
  unlabeled = 0,
): Promise<{ core: Core; dataset: DatasetSummary; dir: string }> {
  const dir = tempDir()
  const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
  const project = value<Project>(await core.call('projects.create', { name: 'P' }))
  const root = join(dir, 'images')
  let seed = 0
  for (const [cls, n] of Object.entries(perClass)) {
    mkdirSync(join(root, cls), { recursive: true })
    for (let i = 0; i < n; i++) writeFileSync(join(root, cls, `${i}.png`), await solidImage('png', seed++, 8))
  }
  mkdirSync(root, { recursive: true })
  for (let i = 0; i < unlabeled; i++) writeFileSync(join(root, `u${i}.png`), await solidImage('png', seed++, 8))
  const started = value<ImportInfo>(await core.call('datasets.importImages', { projectId: project.id, paths: [root] }))
  await core.imports.whenDone(started.id)
  return { core, dataset: value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id })), dir }
}

async function list(core: Core, datasetId: string, filter: object = { kind: 'all' }): Promise<SampleItem[]> {
  return value<{ items: SampleItem[] }>(await core.call('samples.list', { datasetId, filter, limit: 1000 })).items
}

describe('labels and classes', () => {
  it('labels samples, returns the previous labels, and undo puts them back', async () => {
    const { core, dataset } = await imageProject({ cat: 2, dog: 2 }, 3)
    const [cat, dog] = dataset.classes
    const unlabeled = await list(core, dataset.id, { kind: 'unlabeled' })
    expect(unlabeled).toHaveLength(3)
    const labels = unlabeled.map((s, i) => ({ sampleId: s.id, classId: i === 0 ? dog!.id : cat!.id }))
    const { previous } = value<{ previous: Array<{ sampleId: number; classId: number | null }> }>(
      await core.call('samples.setLabels', { labels }),
    )
    expect(previous).toEqual(unlabeled.map((s) => ({ sampleId: s.id, classId: null })))
    expect(await list(core, dataset.id, { kind: 'unlabeled' })).toHaveLength(0)
    expect((await list(core, dataset.id, { kind: 'class', classId: cat!.id })).length).toBe(4)
    value(await core.call('samples.setLabels', { labels: previous }))
    expect(await list(core, dataset.id, { kind: 'unlabeled' })).toHaveLength(3)
    await core.close()
  })

  it('refuses labels naming a missing sample or class, changing nothing', async () => {
    const { core, dataset } = await imageProject({ cat: 2 }, 1)
    const [u] = await list(core, dataset.id, { kind: 'unlabeled' })
    const res = await core.call('samples.setLabels', {
      labels: [
        { sampleId: u!.id, classId: dataset.classes[0]!.id },
        { sampleId: 99999, classId: null },
      ],
    })
    expect(res).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: 'Sample "99999" was not found' } })
    expect(await list(core, dataset.id, { kind: 'unlabeled' })).toHaveLength(1)
    await core.close()
  })

  it('adds, renames, recolours, merges and deletes classes', async () => {
    const { core, dataset } = await imageProject({ cat: 3, kitten: 2, dog: 2 })
    const byName = (d: DatasetSummary, n: string): ClassInfo => d.classes.find((c) => c.name === n)!
    const bird = value<ClassInfo>(await core.call('classes.create', { datasetId: dataset.id, name: 'bird' }))
    expect(bird).toMatchObject({ name: 'bird', count: 0, position: 3, color: expect.stringMatching(/^#[0-9a-f]{6}$/) })
    expect(await core.call('classes.create', { datasetId: dataset.id, name: 'CAT' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', field: 'name' },
    })
    const renamed = value<ClassInfo>(
      await core.call('classes.update', { classId: bird.id, name: 'parrot', color: '#AA00FF' }),
    )
    expect(renamed).toMatchObject({ name: 'parrot', color: '#aa00ff' })
    expect(
      value(
        await core.call('classes.merge', {
          sourceId: byName(dataset, 'kitten').id,
          targetId: byName(dataset, 'cat').id,
        }),
      ),
    ).toEqual({ moved: 2 })
    expect(value(await core.call('classes.delete', { classId: byName(dataset, 'dog').id }))).toEqual({ unlabeled: 2 })
    const after = value<DatasetSummary>(await core.call('datasets.get', { projectId: dataset.projectId }))
    expect(after.classes.map((c) => [c.name, c.count])).toEqual([
      ['cat', 5],
      ['parrot', 0],
    ])
    expect(after.labeled).toBe(5)
    await core.close()
  })

  it('warns about too few examples, imbalance and unlabeled images', async () => {
    const { core, dataset } = await imageProject({ big: 30, small: 2 }, 1)
    expect(dataset.warnings).toEqual([
      'Class “small” has only 2 examples; aim for at least 10, ideally 50 or more.',
      'The classes are imbalanced: “big” has 30 examples, “small” only 2.',
      '1 image is unlabeled and will not be used for training.',
    ])
    await core.close()
  })
})

describe('splits and versions', () => {
  it('splits stratified by class, the same way for the same seed', async () => {
    const { core, dataset } = await imageProject({ a: 20, b: 10 })
    const s1 = value<DatasetSummary>(
      await core.call('datasets.split', { datasetId: dataset.id, train: 0.7, validation: 0.1, test: 0.2, seed: 3 }),
    )
    const a = s1.counts.find((c) => c.classId === s1.classes[0]!.id)!
    const b = s1.counts.find((c) => c.classId === s1.classes[1]!.id)!
    expect([a.train, a.validation, a.test]).toEqual([14, 2, 4])
    expect([b.train, b.validation, b.test]).toEqual([7, 1, 2])
    const first = (await list(core, dataset.id)).map((s) => s.split)
    value(await core.call('datasets.split', { datasetId: dataset.id, train: 0.7, validation: 0.1, test: 0.2, seed: 3 }))
    expect((await list(core, dataset.id)).map((s) => s.split)).toEqual(first)
    value(await core.call('datasets.split', { datasetId: dataset.id, train: 0.7, validation: 0.1, test: 0.2, seed: 4 }))
    expect((await list(core, dataset.id)).map((s) => s.split)).not.toEqual(first)
    expect(
      await core.call('datasets.split', { datasetId: dataset.id, train: 0.7, validation: 0.1, test: 0.1, seed: 1 }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'train: train, validation and test must add up to 100%' },
    })
    await core.close()
  })

  it('freezes a hashed version, reuses it while nothing changes, and makes a new one after a label change', async () => {
    const { core, dataset } = await imageProject({ a: 10, b: 10 })
    const v1 = value<DatasetVersion & { reused: boolean }>(
      await core.call('datasets.freezeVersion', { datasetId: dataset.id }),
    )
    expect(v1).toMatchObject({
      number: 1,
      reused: false,
      sampleCount: 20,
      classNames: ['a', 'b'],
      counts: { train: 16, validation: 2, test: 2 },
    })
    expect(v1.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(value(await core.call('datasets.freezeVersion', { datasetId: dataset.id }))).toMatchObject({
      id: v1.id,
      reused: true,
    })

    const [sample] = await list(core, dataset.id, { kind: 'class', classId: dataset.classes[0]!.id })
    const { previous } = value<{ previous: Array<{ sampleId: number; classId: number | null }> }>(
      await core.call('samples.setLabels', { labels: [{ sampleId: sample!.id, classId: dataset.classes[1]!.id }] }),
    )
    const v2 = value<DatasetVersion & { reused: boolean }>(
      await core.call('datasets.freezeVersion', { datasetId: dataset.id }),
    )
    expect(v2).toMatchObject({ number: 2, reused: false })
    expect(v2.hash).not.toBe(v1.hash)
    // Putting the label back gives the same contents, hence version 1 again.
    value(await core.call('samples.setLabels', { labels: previous }))
    expect(value(await core.call('datasets.freezeVersion', { datasetId: dataset.id }))).toMatchObject({
      id: v1.id,
      reused: true,
    })
    expect(
      value<DatasetVersion[]>(await core.call('datasets.listVersions', { datasetId: dataset.id })).map((v) => v.number),
    ).toEqual([2, 1])
    await core.close()
  })

  it('refuses to freeze without labels or with a single class', async () => {
    const empty = await imageProject({}, 3)
    expect(await empty.core.call('datasets.freezeVersion', { datasetId: empty.dataset.id })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE', message: 'Nothing to freeze: label some examples first.' },
    })
    await empty.core.close()
    const one = await imageProject({ only: 4 })
    expect(await one.core.call('datasets.freezeVersion', { datasetId: one.dataset.id })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE', message: 'Training needs at least two classes with labeled examples.' },
    })
    await one.core.close()
  })
})

describe('table import', () => {
  it('previews a CSV, then imports it with the chosen target, reporting bad rows', async () => {
    const dir = tempDir()
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
    const project = value<Project>(await core.call('projects.create', { name: 'T' }))
    const csv = join(dir, 'flowers.csv')
    writeFileSync(
      csv,
      'petal,colour,kind\n1.2,red,rose\n3.4,,tulip\n5.6,blue\n7.8,white,\n1.2,red,rose\n9.0,pink,tulip\n',
    )
    const preview = value<TablePreview>(await core.call('datasets.previewTable', { path: csv }))
    expect(preview).toMatchObject({
      hasHeader: true,
      rowCount: 5,
      suggestedTarget: 'kind',
      suggestedTask: 'classification',
    })
    expect(preview.problems).toEqual([{ rowNumber: 4, reason: 'row 4 has 2 fields, expected 3' }])
    const started = value<ImportInfo>(
      await core.call('datasets.importTable', { projectId: project.id, path: csv, targetColumn: 'kind' }),
    )
    const done = await core.imports.whenDone(started.id)
    expect(done).toMatchObject({ status: 'completed', imported: 3, duplicates: 1, skipped: 2 })
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))
    expect(dataset).toMatchObject({ kind: 'table', task: 'classification', targetColumn: 'kind' })
    expect(dataset.columns!.map((c) => [c.name, c.type])).toEqual([
      ['petal', 'numeric'],
      ['colour', 'categorical'],
    ])
    expect(dataset.classes.map((c) => [c.name, c.count])).toEqual([
      ['rose', 1],
      ['tulip', 2],
    ])
    const rows = value<{ items: SampleItem[] }>(await core.call('samples.list', { datasetId: dataset.id })).items
    expect(rows[1]).toMatchObject({ name: 'row 3', values: { petal: 3.4, colour: null } })
    const report = value<{ items: Array<{ rowNumber: number; reason: string }> }>(
      await core.call('imports.listIssues', { importId: done.id }),
    ).items
    expect(report.map((i) => [i.rowNumber, i.reason])).toEqual([
      [4, 'row 4 has 2 fields, expected 3'],
      [5, 'row 5 has no value in the target column "kind"'],
      [6, 'same values as row 2'],
    ])
    expect(
      await core.call('datasets.importTable', { projectId: project.id, path: csv, targetColumn: 'nope' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', field: 'targetColumn' },
    })
    // A table's classes are its target column's values: none are added by hand.
    expect(await core.call('classes.create', { datasetId: dataset.id, name: 'tulip' })).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_STATE',
        message:
          'This project holds a table: its classes are the values of the column “kind”, so classes cannot be added by hand',
      },
    })
    expect(await core.call('datasets.previewTable', { path: join(dir, 'missing.csv') })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('missing.csv: cannot read') },
    })
    await core.close()
  })

  it('imports a regression target as numbers', async () => {
    const dir = tempDir()
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
    const project = value<Project>(await core.call('projects.create', { name: 'R' }))
    const csv = join(dir, 'houses.csv')
    writeFileSync(csv, 'rooms,price\n3,250.5\n4,310.25\n2,199.9\n')
    const started = value<ImportInfo>(
      await core.call('datasets.importTable', { projectId: project.id, path: csv, targetColumn: 'price' }),
    )
    await core.imports.whenDone(started.id)
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))
    expect(dataset).toMatchObject({ task: 'regression', classes: [], total: 3 })
    const rows = value<{ items: SampleItem[] }>(await core.call('samples.list', { datasetId: dataset.id })).items
    expect(rows.map((r) => r.target)).toEqual([250.5, 310.25, 199.9])
    await core.close()
  })
})

describe('sample projects', () => {
  it('creates the iris sample from the packaged data', async () => {
    const dir = tempDir()
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
    const { project, import: started } = value<{ project: Project; import: ImportInfo }>(
      await core.call('projects.createSample', { sample: 'iris' }),
    )
    expect(project.name).toBe('Iris flowers')
    expect(await core.imports.whenDone(started.id)).toMatchObject({ status: 'completed', imported: 149, duplicates: 0 })
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))
    expect(dataset.classes.map((c) => [c.name, c.count])).toEqual([
      ['setosa', 50],
      ['versicolor', 50],
      ['virginica', 49],
    ])
    await core.close()
  })

  it('creates the digits sample: 10,000 MNIST digits through the image import', async () => {
    const dir = tempDir()
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
    const { project, import: started } = value<{ project: Project; import: ImportInfo }>(
      await core.call('projects.createSample', { sample: 'digits' }),
    )
    const done = await core.imports.whenDone(started.id)
    expect(done).toMatchObject({ status: 'completed', skipped: 0 })
    expect(done.imported + done.duplicates).toBe(10_000)
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))
    expect(dataset.classes.map((c) => c.name)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(dataset.total).toBe(done.imported)
    const second = value<{ project: Project }>(await core.call('projects.createSample', { sample: 'iris' }))
    expect(second.project.name).toBe('Iris flowers')
    await core.close()
  }, 120_000)
})
