import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { DatasetSummary, ImportInfo, Project, SampleItem } from '../shared/contract'
import type { RunSummary } from '../shared/training'
import { runCli } from './cli'
import { createCore } from './core/core'
import { startServer } from './server/http-server'
import { writeDigitsFolder } from './core/datasets/sample-data'
import { value } from './test-support/result'
import { useTempDirs } from './test-support/temp-dir'

const tempDir = useTempDirs()

/** Runs the command line, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line))
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line))
  try {
    return { code: await runCli(argv), out, err: err.join('\n') }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

afterEach(() => vi.restoreAllMocks())

describe('modelbench export and predict', () => {
  it('exports a table run, predicts rows of a CSV, and explains bad input', async () => {
    const dir = tempDir()
    const dataDir = join(dir, 'data')
    const core = createCore({ dataDir, shell: 'server', version: 't' })
    const { import: started } = value<{ project: Project; import: ImportInfo }>(
      await core.call('projects.createSample', { sample: 'iris' }),
    )
    await core.imports.whenDone(started.id)
    const projectId = value<Project[]>(await core.call('projects.list', {}))[0]!.id
    const spec = {
      inputShape: [4],
      layers: [
        { type: 'Dense', config: { units: 8 } },
        { type: 'Dense', config: { units: 3, activation: 'softmax' } },
      ],
    }
    const run = value<RunSummary>(
      await core.call('runs.start', {
        projectId,
        spec,
        seed: 1,
        hyperparameters: { epochs: 30, batchSize: 16, learningRate: 0.03 },
        engine: 'wasm',
      }),
    )
    await core.training.whenDone(run.id)
    await core.close()

    const out = join(dir, 'export')
    const exported = await cli('export', '--run', run.id, '--out', out, '--format', 'onnx', '--data-dir', dataDir)
    expect(exported.err).toContain('Checking ONNX with its own runtime')
    expect(exported.out[0]).toBe(`Exported “${run.name}” to ${out}`)
    expect(exported.out[1]).toMatch(
      /^ {2}ONNX: verified with onnxruntime-node \S+ \(CPU\) on 100 inputs, same top class 100\/100, largest difference \d\.\d\de[-+]\d+$/,
    )
    expect(exported.code).toBe(0)

    const csv = join(dir, 'flowers.csv')
    writeFileSync(
      csv,
      'petal_width,sepal_length,sepal_width,petal_length,colour\n0.2,5.1,3.5,1.4,white\n2.3,6.9,3.1,5.4,blue\n',
    )
    const predicted = await cli('predict', '--model', out, csv)
    expect(predicted.code).toBe(0)
    const lines = predicted.out.map(
      (l) => JSON.parse(l) as { file: string; row: number; label: string; probabilities: Record<string, number> },
    )
    expect(lines.map((l) => [l.file, l.row, l.label])).toEqual([
      [csv, 2, 'setosa'],
      [csv, 3, 'virginica'],
    ])
    expect(Object.keys(lines[0]!.probabilities)).toEqual(['setosa', 'versicolor', 'virginica'])

    // Unreadable inputs are named, the good ones still predicted, and the exit code says something failed.
    const partial = join(dir, 'partial.csv')
    writeFileSync(partial, 'sepal_length,sepal_width\n5,3\n')
    const mixed = await cli('predict', '--model', out, csv, join(dir, 'missing.csv'), partial)
    expect(mixed.code).toBe(1)
    expect(mixed.out).toHaveLength(2)
    expect(mixed.err).toContain(
      `modelbench: ${join(dir, 'missing.csv')}: cannot read: the file is gone or is a broken link`,
    )
    expect(mixed.err).toContain(`modelbench: ${partial}: lacks the columns petal_length, petal_width the model needs`)

    expect(await cli('predict', '--model', out, '--format', 'tfjs', csv)).toMatchObject({
      code: 1,
      err: `modelbench: ${out} has no TF.js model (model.json); export the run with --format tfjs`,
    })
    expect(await cli('predict', '--model', dir, csv)).toMatchObject({
      code: 1,
      err: `modelbench: ${dir} is not a ModelBench export: preprocessing.json is missing`,
    })
    expect((await cli('predict', '--model', out)).err).toContain('predict needs at least one file')

    // Export errors: no such run, a destination that cannot be written, a bad format name.
    expect(await cli('export', '--run', 'nope', '--out', join(dir, 'x'), '--data-dir', dataDir)).toMatchObject({
      code: 1,
      err: 'modelbench: Run "nope" was not found',
    })
    expect(await cli('export', '--run', run.id, '--out', join(csv, 'sub'), '--data-dir', dataDir)).toMatchObject({
      code: 1,
      err: `modelbench: Cannot create ${join(csv, 'sub')}: part of the path is a file, not a folder`,
    })
    expect(
      (await cli('export', '--run', run.id, '--out', join(dir, 'y'), '--format', 'pt', '--data-dir', dataDir)).err,
    ).toContain('--format must be tfjs or onnx, not "pt"')

    // While a server owns the data directory, the command asks it to export rather than writing beside it.
    const owner = createCore({ dataDir, shell: 'server', version: 't' })
    const server = await startServer({ core: owner, port: 0 })
    owner.lock!.update({ url: server.url, token: server.token })
    try {
      const viaServer = await cli(
        'export',
        '--run',
        run.id,
        '--out',
        join(dir, 'via-server'),
        '--format',
        'onnx',
        '--data-dir',
        dataDir,
      )
      expect(viaServer.err).toContain(
        `Asking the ModelBench server at ${server.url}, which is using this data directory, to export`,
      )
      expect(viaServer.out[0]).toBe(`Exported “${run.name}” to ${join(dir, 'via-server')}`)
      expect(viaServer.code).toBe(0)
      expect(
        value<Array<{ dir: string }>>(await owner.call('exports.list', { projectId })).map((e) => e.dir),
      ).toContain(join(dir, 'via-server'))
    } finally {
      await server.close()
      await owner.close()
    }
  }, 120_000)

  it('predicts image files with a TF.js export, refusing files that are not images', async () => {
    const dir = tempDir()
    const dataDir = join(dir, 'data')
    const core = createCore({ dataDir, shell: 'server', version: 't' })
    const project = value<Project>(await core.call('projects.create', { name: 'Digits' }))
    await writeDigitsFolder(join(dir, 'digits'), 10)
    await core.imports.whenDone(
      value<ImportInfo>(
        await core.call('datasets.importImages', { projectId: project.id, paths: [join(dir, 'digits')] }),
      ).id,
    )
    const spec = {
      inputShape: [28, 28, 1],
      layers: [
        { type: 'Flatten', config: {} },
        { type: 'Dense', config: { units: 10, activation: 'softmax' } },
      ],
    }
    const run = value<RunSummary>(
      await core.call('runs.start', {
        projectId: project.id,
        spec,
        seed: 1,
        hyperparameters: { epochs: 1, batchSize: 16 },
        engine: 'wasm',
      }),
    )
    // Still training: refused with the reason.
    expect(await cli('export', '--run', run.id, '--out', join(dir, 'early'), '--data-dir', dataDir)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^modelbench: Only a completed run can be exported; “.+” is (queued|running)$/),
    })
    await core.training.whenDone(run.id)
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))
    const sample = value<{ items: SampleItem[] }>(await core.call('samples.list', { datasetId: dataset.id, limit: 1 }))
      .items[0]!
    const image = join(dir, 'digit.png')
    writeFileSync(image, readFileSync(core.blobs.blobPath(sample.hash)))
    await core.close()

    const out = join(dir, 'export')
    expect((await cli('export', '--run', run.id, '--out', out, '--format', 'tfjs', '--data-dir', dataDir)).code).toBe(0)
    const notImage = join(dir, 'notes.png')
    writeFileSync(notImage, 'hello')
    const predicted = await cli('predict', '--model', out, image, notImage)
    expect(predicted.code).toBe(1)
    const line = JSON.parse(predicted.out[0]!) as { file: string; label: string; probabilities: Record<string, number> }
    expect(line.file).toBe(image)
    expect(Object.keys(line.probabilities)).toHaveLength(10)
    expect(line.label).toBe(Object.entries(line.probabilities).sort((a, b) => b[1] - a[1])[0]![0])
    expect(predicted.err).toBe(`modelbench: ${notImage}: not an image: the file contains text`)
  }, 120_000)
})
