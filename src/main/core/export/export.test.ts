import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ImportInfo, Project } from '../../../shared/contract'
import type { ExportRecord, TryRowResult } from '../../../shared/export'
import type { ModelSpec } from '../../../shared/model/types'
import type { ClassificationEvaluation, RunSummary } from '../../../shared/training'
import { value } from '../../test-support/result'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore, type Core } from '../core'
import { writeDigitsFolder } from '../datasets/sample-data'
import { openDatabase } from '../store/database'
import { compare } from './export-service'

const tempDir = useTempDirs()

const tinyCnn: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'Rescaling', config: { scale: 2, offset: -1 } },
    { type: 'Conv2D', config: { filters: 6, kernelSize: [3, 3], padding: 'same' } as never },
    { type: 'BatchNormalization', config: {} as never },
    { type: 'MaxPooling2D', config: {} as never },
    { type: 'Flatten', config: {} },
    { type: 'Dropout', config: { rate: 0.25 } },
    { type: 'Dense', config: { units: 10, activation: 'softmax' } as never },
  ],
}

async function exported(
  core: Core,
  runId: string,
  formats: Array<'tfjs' | 'onnx'>,
  dir: string,
): Promise<ExportRecord> {
  const started = value<ExportRecord>(await core.call('exports.start', { runId, formats, dir }))
  expect(started.status).toBe('running')
  return core.exports.whenDone(started.id)
}

function json<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

describe('exporting a run', () => {
  it('exports an image model as TF.js and ONNX that their own runtimes load with the same predictions, with a model card', async () => {
    const dir = tempDir()
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: '9.8.7' })
    const project = value<Project>(await core.call('projects.create', { name: 'Digits' }))
    await writeDigitsFolder(join(dir, 'digits'), 30)
    await core.imports.whenDone(
      value<ImportInfo>(
        await core.call('datasets.importImages', { projectId: project.id, paths: [join(dir, 'digits')] }),
      ).id,
    )
    const run = value<RunSummary>(
      await core.call('runs.start', {
        projectId: project.id,
        spec: tinyCnn,
        seed: 4,
        hyperparameters: { epochs: 2, batchSize: 16, learningRate: 0.005, normalization: 'standardize' },
        engine: 'wasm',
      }),
    )
    // Not finished yet: nothing to export.
    expect(
      await core.call('exports.start', { runId: run.id, formats: ['onnx'], dir: join(dir, 'early') }),
    ).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_STATE',
        message: expect.stringMatching(/^Only a completed run can be exported; “.+” is (queued|running)$/),
      },
    })
    expect(existsSync(join(dir, 'early'))).toBe(false)
    await core.training.whenDone(run.id)

    const out = join(dir, 'export')
    const seen: string[] = []
    core.events.onAny((event, payload) => {
      if (event === 'exports.progressed') seen.push((payload as { step: string }).step)
    })
    const record = await exported(core, run.id, ['onnx', 'tfjs'], out)
    expect(record).toMatchObject({ status: 'verified', error: null, formats: ['tfjs', 'onnx'], dir: out })
    expect(seen[0]).toBe('Writing labels and preprocessing')
    expect(seen).toContain('Checking ONNX with its own runtime')
    for (const r of record.results) {
      // 30 test images, topped up to 100 from validation and train.
      expect(r).toMatchObject({ verified: true, checked: 100, sameTop1: 100, error: null })
      expect(r.maxDifference).toBeLessThan(1e-4)
    }
    expect(record.results[0]!.runtime).toMatch(/^@tensorflow\/tfjs 4\.22\.0 loadLayersModel/)
    expect(record.results[1]!.runtime).toMatch(/^onnxruntime-node 1\.\d+\.\d+/)
    expect(readdirSync(out).sort()).toEqual([
      'MODEL_CARD.md',
      'group1-shard1of1.bin',
      'labels.json',
      'metadata.json',
      'model.json',
      'model.onnx',
      'preprocessing.json',
    ])
    expect(json(join(out, 'labels.json'))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    const pre = json<{ kind: string; inputShape: number[]; mean: number[]; std: number[]; output: string }>(
      join(out, 'preprocessing.json'),
    )
    expect(pre).toMatchObject({ kind: 'image', inputShape: [28, 28, 1], colorMode: 'grayscale', output: 'softmax' })
    // Standardised with the training split: a real mean and deviation, not 0 and 255.
    expect(pre.mean[0]).toBeGreaterThan(10)
    expect(pre.std[0]).toBeLessThan(255)

    // The model card, filled from the run record.
    const meta = json<{ engine: { engine: string }; architecture: { totalParams: number } }>(join(out, 'metadata.json'))
    const evaluation = value<{ test: ClassificationEvaluation; validation: ClassificationEvaluation }>(
      await core.call('runs.evaluation', { runId: run.id }),
    )
    expect(meta).toMatchObject({
      producer: { name: 'ModelBench', version: '9.8.7' },
      task: 'classification',
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      input: { shape: ['batch', 28, 28, 1], layout: 'NHWC' },
      run: { id: run.id, seed: 4, project: 'Digits' },
      dataset: {
        version: 1,
        counts: { train: 240, validation: 30, test: 30 },
        classCounts: { test: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3] },
      },
      hyperparameters: {
        optimizer: 'adam',
        learningRate: 0.005,
        batchSize: 16,
        epochs: 2,
        normalization: 'standardize',
      },
      metrics: {
        test: { accuracy: evaluation.test.accuracy },
        validation: { accuracy: evaluation.validation.accuracy },
      },
      files: { tfjs: ['model.json', 'group1-shard1of1.bin'], onnx: ['model.onnx'] },
      verification: [
        { format: 'tfjs', verified: true },
        { format: 'onnx', verified: true },
      ],
    })
    expect(meta.engine.engine).toBe('wasm')
    expect(meta.architecture.totalParams).toBe(6 * 9 + 6 + 4 * 6 + 14 * 14 * 6 * 10 + 10)
    const card = readFileSync(join(out, 'MODEL_CARD.md'), 'utf8')
    expect(card).toContain(`# Model card: ${run.name}`)
    expect(card).toContain('Image classification into 10 classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9')
    expect(card).toContain(`Accuracy **${(evaluation.test.accuracy * 100).toFixed(1)} %**`)
    expect(card).toContain('Data version 1 (hash')
    expect(card).toContain('| **All** | 240 | 30 | 30 |')
    expect(card).toMatch(/\*\*TF\.js: verified\*\* — loaded with @tensorflow\/tfjs 4\.22\.0/)
    expect(card).toContain("tf.loadLayersModel('model.json')")
    expect(card).toContain('ort.InferenceSession("model.onnx")')
    expect(card).toContain('Intended use and limits')
    expect(value<ExportRecord[]>(await core.call('exports.list', { projectId: project.id })).map((e) => e.id)).toEqual([
      record.id,
    ])
    // Its files are the run's export artifacts, hashed.
    const db = openDatabase(join(dir, 'data'))
    const artifacts = db
      .prepare("SELECT path, sha256, bytes FROM artifacts WHERE run_id = ? AND kind = 'export' ORDER BY path")
      .all(run.id) as Array<{ path: string; sha256: string; bytes: number }>
    db.close()
    expect(artifacts.map((a) => a.path)).toEqual(
      readdirSync(out)
        .sort()
        .map((f) => join(out, f)),
    )
    const onnxFile = artifacts.find((a) => a.path.endsWith('model.onnx'))!
    expect(onnxFile.sha256).toBe(createHash('sha256').update(readFileSync(onnxFile.path)).digest('hex'))

    // Bad destinations are refused before anything is written; what was there stays.
    const full = join(dir, 'full')
    mkdirSync(full)
    writeFileSync(join(full, 'keep.txt'), 'mine')
    expect(await core.call('exports.start', { runId: run.id, formats: ['tfjs'], dir: full })).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        field: 'dir',
        message: `${full} is not empty; choose a new or empty folder so nothing in it is overwritten`,
      },
    })
    expect(readdirSync(full)).toEqual(['keep.txt'])
    expect(
      await core.call('exports.start', { runId: run.id, formats: ['tfjs'], dir: join(full, 'keep.txt', 'sub') }),
    ).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: `Cannot create ${join(full, 'keep.txt', 'sub')}: part of the path is a file, not a folder`,
      },
    })
    expect(await core.call('exports.start', { runId: 'no-such-run', formats: ['tfjs'] })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
    expect(await core.call('exports.start', { runId: run.id, formats: [] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
    // Without a destination it goes into the data directory, named after the run.
    const { dir: suggested } = value<{ dir: string }>(await core.call('exports.defaultDir', { runId: run.id }))
    expect(suggested.startsWith(join(dir, 'data', 'exports'))).toBe(true)
    await core.close()
  }, 180_000)

  it('exports table models — a classifier and a regression with a categorical column — and tries a row', async () => {
    const dir = tempDir()
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
    const { project, import: started } = value<{ project: Project; import: ImportInfo }>(
      await core.call('projects.createSample', { sample: 'iris' }),
    )
    await core.imports.whenDone(started.id)
    const spec: ModelSpec = {
      inputShape: [4],
      layers: [
        { type: 'Dense', config: { units: 12, activation: 'tanh' } },
        { type: 'BatchNormalization', config: {} },
        { type: 'Dense', config: { units: 3, activation: 'softmax' } },
      ] as never,
    }
    const run = value<RunSummary>(
      await core.call('runs.start', {
        projectId: project.id,
        spec,
        seed: 2,
        hyperparameters: { epochs: 20, batchSize: 16, learningRate: 0.02 },
        engine: 'wasm',
      }),
    )
    await core.training.whenDone(run.id)
    // Destinations that are not ordinary folders are refused at once, and nothing blocks the process.
    mkdirSync(join(dir, 'full'))
    writeFileSync(join(dir, 'full', 'keep.txt'), 'mine')
    for (const [bad, message] of [
      [join(dir, 'full'), /is not empty; choose a new or empty folder/],
      ['/proc/x', /is a system folder/],
      ['/proc/x/y/z', /is a system folder/],
      ['/sys/modelbench', /is a system folder/],
      [join(dir, 'data'), /inside ModelBench's own data folder/],
      [join(dir, 'data', 'blobs', 'x'), /inside ModelBench's own data folder/],
      [`${join(dir, 'data', 'exports')}/../../escape`, /"\.\." segments/],
    ] as const) {
      const result = await core.call('exports.start', { runId: run.id, formats: ['onnx'], dir: bad })
      expect(result.ok, bad).toBe(false)
      if (!result.ok) expect(result.error.message, bad).toMatch(message)
    }
    const record = await exported(core, run.id, ['tfjs', 'onnx'], join(dir, 'iris'))
    expect(record.results).toMatchObject([{ verified: true }, { verified: true }])
    expect(record.status).toBe('verified')
    for (const r of record.results) expect(r).toMatchObject({ verified: true, checked: 100, sameTop1: 100 })
    expect(json(join(dir, 'iris', 'preprocessing.json'))).toMatchObject({
      kind: 'table',
      featureCount: 4,
      columns: [{ name: 'sepal_length', type: 'numeric' }, {}, {}, {}],
    })
    expect(readFileSync(join(dir, 'iris', 'MODEL_CARD.md'), 'utf8')).toContain(
      'Table classification into 3 classes: setosa, versicolor, virginica',
    )

    const tried = value<TryRowResult>(
      await core.call('runs.tryRow', {
        runId: run.id,
        values: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      }),
    )
    expect(tried.predicted).toBe('setosa')
    expect(tried.classes.reduce((a, c) => a + c.probability, 0)).toBeCloseTo(1, 4)

    // A regression table with a categorical column (one-hot in preprocessing.json).
    const csv = join(dir, 'prices.csv')
    const colors = ['red', 'green', 'blue']
    const lines = ['size,color,price']
    for (let i = 0; i < 120; i++)
      lines.push(
        `${(i % 17) + 1},${colors[i % 3]},${(((i % 17) + 1) * 2 + (i % 3 === 0 ? 3 : 0) + (i % 5) * 0.1).toFixed(2)}`,
      )
    writeFileSync(csv, lines.join('\n'))
    const table = value<Project>(await core.call('projects.create', { name: 'Prices' }))
    await core.imports.whenDone(
      value<ImportInfo>(
        await core.call('datasets.importTable', {
          projectId: table.id,
          path: csv,
          targetColumn: 'price',
          task: 'regression',
        }),
      ).id,
    )
    const regression = value<RunSummary>(
      await core.call('runs.start', {
        projectId: table.id,
        spec: {
          inputShape: [4],
          layers: [
            { type: 'Dense', config: { units: 8, activation: 'elu' } },
            { type: 'Dense', config: { units: 1, activation: 'linear' } },
          ] as never,
        },
        seed: 1,
        hyperparameters: { epochs: 10, batchSize: 16, learningRate: 0.05 },
        engine: 'wasm',
      }),
    )
    expect((await core.training.whenDone(regression.id)).status).toBe('completed')
    const reg = await exported(core, regression.id, ['onnx', 'tfjs'], join(dir, 'prices'))
    expect(reg.status).toBe('verified')
    for (const r of reg.results) expect(r).toMatchObject({ verified: true, checked: 100, sameTop1: null })
    expect(json(join(dir, 'prices', 'preprocessing.json'))).toMatchObject({
      kind: 'table',
      output: 'linear',
      columns: [
        { name: 'size', type: 'numeric' },
        { name: 'color', type: 'categorical', categories: ['blue', 'green', 'red'] },
      ],
    })
    expect(json(join(dir, 'prices', 'labels.json'))).toEqual([])
    const price = value<TryRowResult>(
      await core.call('runs.tryRow', { runId: regression.id, values: { size: 4, color: 'red' } }),
    )
    expect(price).toMatchObject({ predicted: null, classes: [] })
    expect(typeof price.value).toBe('number')
    expect(await core.call('runs.tryImage', { runId: regression.id, sampleId: 1 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE' },
    })
    await core.close()
  }, 180_000)
})

describe('the export check', () => {
  it('passes only the same top class everywhere with every probability within 1e-4', () => {
    const app = [
      [0.7, 0.2, 0.1],
      [0.1, 0.45, 0.45],
    ]
    expect(
      compare(
        app,
        [
          [0.70005, 0.19995, 0.1],
          [0.1, 0.45, 0.45],
        ],
        'classification',
      ),
    ).toMatchObject({ verified: true, sameTop1: 2 })
    expect(
      compare(
        app,
        [
          [0.7002, 0.1998, 0.1],
          [0.1, 0.45, 0.45],
        ],
        'classification',
      ),
    ).toMatchObject({ verified: false, sameTop1: 2, error: expect.stringContaining('more than the 0.0001 allowed') })
    expect(
      compare(
        app,
        [
          [0.7, 0.2, 0.1],
          [0.1, 0.44999, 0.45001],
        ],
        'classification',
      ),
    ).toMatchObject({ verified: false, sameTop1: 1, error: "the top class differed from the app's on 1 of 2 inputs" })
    expect(compare(app, [[0.7, 0.3]], 'classification')).toMatchObject({
      verified: false,
      error: expect.stringContaining('gave 1 predictions'),
    })
    expect(
      compare(
        app,
        [
          [NaN, 0.2, 0.1],
          [0.1, 0.45, 0.45],
        ],
        'classification',
      ).verified,
    ).toBe(false)
    // Regression: relative to the value's size.
    expect(compare([[5000]], [[5000.3]], 'regression')).toMatchObject({ verified: true, sameTop1: null })
    expect(compare([[5000]], [[5001]], 'regression').verified).toBe(false)
  })
})
