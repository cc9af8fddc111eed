import { join } from 'node:path'
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { modelInputPixels } from '../datasets/image-file'
import type { DatasetSummary, ImportInfo, Project, Result, SampleItem } from '../../../shared/contract'
import type { ModelSpec } from '../../../shared/model/types'
import type {
  ClassificationEvaluation,
  CrossValidationSummary,
  LabelSuggestion,
  PredictionExample,
  PredictionRow,
  RunComparison,
  RunDetail,
  RunSummary,
  TryImageResult,
} from '../../../shared/training'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore, type Core } from '../core'
import { writeDigitsFolder } from '../datasets/sample-data'
import { digitsProject as digitsCore, epochEnded } from '../../test-support/digits-core'
import { databaseFileName } from '../store/database'
import Database from 'better-sqlite3'
import { value } from '../../test-support/result'

const tempDir = useTempDirs()

const tinyCnn: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', config: { filters: 6, kernelSize: [3, 3] } as never },
    { type: 'MaxPooling2D', config: {} as never },
    { type: 'Flatten', config: {} },
    { type: 'Dropout', config: { rate: 0.25 } },
    { type: 'Dense', config: { units: 10, activation: 'softmax' } as never },
  ],
}

/** A project with `perDigit` of each MNIST digit, imported through the real import. */
async function digitsProject(perDigit: number): Promise<{ core: Core; project: Project; dataset: DatasetSummary }> {
  const { core, project } = await digitsCore(tempDir(), perDigit)
  return { core, project, dataset: value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id })) }
}

async function train(core: Core, projectId: string, seed: number, epochs = 2): Promise<RunSummary> {
  const run = value<RunSummary>(
    await core.call('runs.start', {
      projectId,
      spec: tinyCnn,
      seed,
      hyperparameters: { epochs, batchSize: 16, learningRate: 0.005 },
      engine: 'wasm',
    }),
  )
  return core.training.whenDone(run.id)
}

/** A 3-epoch reference run, and the same run (same seed) whose trainer is killed once epoch `epoch` has ended. */
async function killedAfterEpoch(
  epoch: number,
): Promise<{ core: Core; reference: RunSummary; run: RunSummary; killed: RunSummary }> {
  const { core, project } = await digitsProject(20)
  const reference = await train(core, project.id, 9, 3)
  const run = value<RunSummary>(
    await core.call('runs.start', {
      projectId: project.id,
      spec: tinyCnn,
      seed: 9,
      hyperparameters: { epochs: 3, batchSize: 16, learningRate: 0.005 },
      engine: 'wasm',
    }),
  )
  await epochEnded(core, run.id, epoch)
  core.training.killTrainer(run.id)
  return { core, reference, run, killed: await core.training.whenDone(run.id) }
}

function values(core: Core, runId: string, key: string): number[] {
  return core.runs.metrics(runId, [key])[key]!.map((p) => p.value!)
}

describe('training in the trainer process', () => {
  it('trains a tiny CNN, recording metrics, checkpoints, the engine, an evaluation and every prediction', async () => {
    const { core, project } = await digitsProject(30)
    const seen: string[] = []
    core.events.onAny((e) => seen.push(e))
    const done = await train(core, project.id, 11)
    expect(done).toMatchObject({ status: 'completed', epochsDone: 2, statusReason: 'Trained 2 epochs' })
    expect(done.engine).toMatchObject({ engine: 'wasm', backend: 'wasm', versions: { '@tensorflow/tfjs': '4.22.0' } })
    const detail = value<RunDetail>(await core.call('runs.get', { runId: done.id }))
    expect(detail.hyperparameters).toMatchObject({ optimizer: 'adam', epochs: 2, batchSize: 16 })
    expect(detail.spec.layers[0]).toMatchObject({ type: 'Conv2D', config: { filters: 6, padding: 'valid' } })

    const metrics = value<Record<string, Array<{ step: number; epoch: number; value: number }>>>(
      await core.call('runs.metrics', { runId: done.id }),
    )
    expect(metrics.loss!.map((p) => p.epoch)).toEqual([1, 2])
    expect(metrics.val_accuracy).toHaveLength(2)
    // Every batch is recorded, though the trainer's messages are throttled: steps 1, 2, … up to the last epoch's.
    const steps = metrics.loss!.at(-1)!.step
    expect(metrics['batch/loss']!.map((p) => p.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1))
    expect(done.latest.loss).toBe(metrics.loss!.at(-1)!.value)
    // Learning happened: the second epoch's loss is below the first.
    expect(metrics.loss![1]!.value).toBeLessThan(metrics.loss![0]!.value)

    const evaluation = value<{ test: ClassificationEvaluation }>(await core.call('runs.evaluation', { runId: done.id }))
    expect(evaluation.test).toMatchObject({ kind: 'classification', count: 30 })
    expect(evaluation.test.confusion).toHaveLength(10)
    expect(evaluation.test.classes.map((c) => c.name)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    const predictions = value<{ items: Array<{ probabilities: number[] }>; total: number }>(
      await core.call('runs.predictions', { runId: done.id, split: 'test' }),
    )
    expect(predictions.total).toBe(30)
    expect(predictions.items[0]!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3)
    expect(seen).toEqual(
      expect.arrayContaining([
        'training.statusChanged',
        'training.batchEnded',
        'training.epochEnded',
        'training.finished',
      ]),
    )

    // Label suggestions: unlabel ten images the model has seen, and it should give most of them back.
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))
    const some = value<{ items: SampleItem[] }>(
      await core.call('samples.list', { datasetId: dataset.id, filter: { kind: 'split', split: 'train' }, limit: 10 }),
    ).items
    value(await core.call('samples.setLabels', { labels: some.map((x) => ({ sampleId: x.id, classId: null })) }))
    const suggestions = value<{ items: LabelSuggestion[] }>(
      await core.call('runs.suggestLabels', { runId: done.id }),
    ).items
    expect(suggestions.map((x) => x.sampleId).sort()).toEqual(some.map((x) => x.id).sort())
    expect(suggestions.map((x) => x.confidence)).toEqual(
      [...suggestions.map((x) => x.confidence)].sort((a, b) => a - b),
    )
    const agree = suggestions.filter((x) => x.classId === some.find((y) => y.id === x.sampleId)!.classId).length
    expect(agree).toBeGreaterThanOrEqual(6)

    // Try it: a test image, by sample or by its file's bytes, gets the probabilities stored at evaluation.
    const stored = value<{ items: PredictionRow[] }>(
      await core.call('runs.predictions', { runId: done.id, split: 'test', limit: 3 }),
    ).items
    const testSamples = value<{ items: SampleItem[] }>(
      await core.call('samples.list', { datasetId: dataset.id, filter: { kind: 'split', split: 'test' }, limit: 1000 }),
    ).items
    for (const row of stored) {
      const bySample = value<TryImageResult>(
        await core.call('runs.tryImage', { runId: done.id, sampleId: row.sampleId }),
      )
      bySample.classes.forEach((c, i) => expect(Math.abs(c.probability - row.probabilities![i]!)).toBeLessThan(1e-4))
      expect(bySample.predicted).toBe(bySample.classes[row.predictedIndex!]!.name)
      expect(bySample.trueClass).toBe(bySample.classes[row.trueIndex!]!.name)
      const hash = testSamples.find((x) => x.id === row.sampleId)!.hash
      const imageBase64 = readFileSync(core.blobs.blobPath(hash)).toString('base64')
      const byFile = value<TryImageResult>(
        await core.call('runs.tryImage', { runId: done.id, imageBase64, fileName: 'digit.png' }),
      )
      expect(byFile.classes.map((c) => c.probability)).toEqual(bySample.classes.map((c) => c.probability))
      expect(byFile.trueClass).toBeNull()
      // What the model saw: the 28×28 grey input, scaled 0–1; a digit like the training ones is not unusual.
      expect(bySample.seen).toMatchObject({
        width: 28,
        height: 28,
        channels: 1,
        scaling: 'pixel values ÷ 255, so 0 to 1',
      })
      const seenPixels = await sharp(Buffer.from(bySample.seen.pngBase64, 'base64')).extractChannel(0).raw().toBuffer()
      expect(seenPixels.equals(await modelInputPixels(readFileSync(core.blobs.blobPath(hash)), [28, 28, 1]))).toBe(true)
      expect(bySample.unusual).toEqual([])
    }
    // A black digit on white paper is far brighter than every white-on-black training digit: the answer says so.
    const first = testSamples[0]!
    const inverted = await sharp(readFileSync(core.blobs.blobPath(first.hash)))
      .negate()
      .png()
      .toBuffer()
    const onPaper = value<TryImageResult>(
      await core.call('runs.tryImage', {
        runId: done.id,
        imageBase64: inverted.toString('base64'),
        fileName: 'paper.png',
      }),
    )
    expect(onPaper.unusual).toEqual([
      expect.stringMatching(
        /^much brighter than the training images \(brightness \d+ %; training images \d+ %–\d+ %\)$/,
      ),
    ])
    const bad = await core.call('runs.tryImage', {
      runId: done.id,
      imageBase64: Buffer.from('hello, not an image').toString('base64'),
      fileName: 'notes.png',
    })
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(JSON.stringify(bad)).toContain('notes.png: not an image: the file contains text')
    expect(await core.call('runs.tryImage', { runId: done.id })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })

    // The error gallery: every mistake, most confident first; a confusion-matrix cell; checked ones hidden.
    const wrong = evaluation.test.confusion
      .flatMap((row, t) => row.map((n, p) => (t === p ? 0 : n)))
      .reduce((a, b) => a + b, 0)
    const mistakes = value<{ items: PredictionExample[]; total: number }>(
      await core.call('runs.examples', { runId: done.id, split: 'test' }),
    )
    for (const ex of mistakes.items) expect(ex.values).toBeNull()
    expect(mistakes.total).toBe(wrong)
    for (const m of mistakes.items) expect(m.trueIndex).not.toBe(m.predictedIndex)
    expect(mistakes.items.map((m) => m.confidence)).toEqual(
      [...mistakes.items.map((m) => m.confidence)].sort((a, b) => b - a),
    )
    const cell = value<{ items: PredictionExample[] }>(
      await core.call('runs.examples', { runId: done.id, split: 'test', trueIndex: 1, predictedIndex: 1 }),
    )
    expect(cell.items).toHaveLength(evaluation.test.confusion[1]![1]!)
    // A one-epoch model on a few digits makes mistakes (the seed is fixed), so checking one is always tested.
    expect(mistakes.items.length).toBeGreaterThan(0)
    value(
      await core.call('runs.markChecked', {
        runId: done.id,
        split: 'test',
        sampleId: mistakes.items[0]!.sampleId,
        checked: true,
      }),
    )
    expect(value<{ total: number }>(await core.call('runs.examples', { runId: done.id, split: 'test' })).total).toBe(
      wrong - 1,
    )
    await core.close()
  }, 120_000)

  it('gives identical losses for the same seed and different ones for another seed', async () => {
    const { core, project } = await digitsProject(20)
    const a = await train(core, project.id, 5)
    const b = await train(core, project.id, 5)
    const c = await train(core, project.id, 6)
    expect(values(core, b.id, 'batch/loss')).toEqual(values(core, a.id, 'batch/loss'))
    expect(values(core, b.id, 'loss')).toEqual(values(core, a.id, 'loss'))
    expect(values(core, c.id, 'loss')).not.toEqual(values(core, a.id, 'loss'))
    await core.close()
  }, 180_000)

  it('trains a batch in parts on two threads: repeatable, and the same losses as one thread up to rounding', async () => {
    const { core, project } = await digitsProject(20)
    // Without dropout the parts draw no masks, so one thread and two differ only by rounding.
    const noDropout: ModelSpec = { ...tinyCnn, layers: tinyCnn.layers.filter((l) => l.type !== 'Dropout') }
    const saved = process.env.MODELBENCH_TRAIN_THREADS
    const run = async (threads: string): Promise<RunSummary> => {
      // The trainer process reads the variable when it is started.
      process.env.MODELBENCH_TRAIN_THREADS = threads
      const started = value<RunSummary>(
        await core.call('runs.start', {
          projectId: project.id,
          spec: noDropout,
          seed: 3,
          hyperparameters: { epochs: 1, batchSize: 16, learningRate: 0.005 },
          engine: 'wasm',
        }),
      )
      return core.training.whenDone(started.id)
    }
    try {
      const one = await run('1')
      const two = await run('2')
      const again = await run('2')
      expect(one.engine).toMatchObject({ threads: 1 })
      expect(two.engine).toMatchObject({ threads: 2 })
      expect(values(core, again.id, 'batch/loss')).toEqual(values(core, two.id, 'batch/loss'))
      const single = values(core, one.id, 'batch/loss')
      const parts = values(core, two.id, 'batch/loss')
      expect(parts).toHaveLength(single.length)
      parts.forEach((loss, i) => expect(Math.abs(loss - single[i]!)).toBeLessThan(1e-3))
    } finally {
      if (saved === undefined) delete process.env.MODELBENCH_TRAIN_THREADS
      else process.env.MODELBENCH_TRAIN_THREADS = saved
      await core.close()
    }
  }, 120_000)

  it('marks a killed trainer interrupted, and resume continues from the checkpoint to the same result', async () => {
    const { core, reference, run, killed } = await killedAfterEpoch(1)
    expect(killed.status).toBe('interrupted')
    expect(killed.statusReason).toMatch(/killed \(SIGKILL\)/)
    expect(killed.epochsDone).toBe(1)
    value(await core.call('runs.resume', { runId: run.id }))
    const resumed = await core.training.whenDone(run.id)
    expect(resumed).toMatchObject({ status: 'completed', epochsDone: 3 })
    // What was logged before the crash stays, and the resumed epochs match the uninterrupted run exactly.
    expect(values(core, run.id, 'loss')).toEqual(values(core, reference.id, 'loss'))
    // Steps replayed after the resume are recorded once: the same batch series as the uninterrupted run.
    const steps = (id: string): number[] => core.runs.metrics(id, ['batch/loss'])['batch/loss']!.map((p) => p.step)
    expect(steps(run.id)).toEqual(steps(reference.id))
    await core.close()
  }, 180_000)

  it('counts a checkpoint that reached the disk although the process died before recording it', async () => {
    const { core, reference, run, killed } = await killedAfterEpoch(2)
    expect(killed.epochsDone).toBe(2)
    // As if the process had died between writing epoch 2's checkpoint and recording it.
    const db = new Database(join(core.dataDir, databaseFileName))
    db.prepare('DELETE FROM artifacts WHERE run_id = ? AND epoch = 2').run(run.id)
    db.prepare("DELETE FROM metrics WHERE run_id = ? AND epoch = 2 AND key NOT LIKE 'batch/%'").run(run.id)
    db.prepare('UPDATE runs SET epochs_done = 1 WHERE id = ?').run(run.id)
    db.close()
    value(await core.call('runs.resume', { runId: run.id }))
    // Adopted before the trainer starts: epoch 2 counts at once, and training goes on from it.
    expect(values(core, run.id, 'loss')).toEqual(values(core, reference.id, 'loss').slice(0, 2))
    expect(core.training.get(run.id).epochsDone).toBe(2)
    const resumed = await core.training.whenDone(run.id)
    expect(resumed).toMatchObject({ status: 'completed', epochsDone: 3 })
    expect(values(core, run.id, 'loss')).toEqual(values(core, reference.id, 'loss'))
    await core.close()
  }, 180_000)

  it('says a frozen trainer is not responding, and Stop then ends it so the run can resume', async () => {
    const dir = tempDir()
    const core = createCore({
      dataDir: join(dir, 'data'),
      shell: 'server',
      version: 't',
      trainerHeartbeatTimeoutMs: 1500,
    })
    const project = value<Project>(await core.call('projects.create', { name: 'Digits' }))
    await writeDigitsFolder(join(dir, 'digits'), 20)
    await core.imports.whenDone(
      value<ImportInfo>(
        await core.call('datasets.importImages', { projectId: project.id, paths: [join(dir, 'digits')] }),
      ).id,
    )
    const run = value<RunSummary>(
      await core.call('runs.start', {
        projectId: project.id,
        spec: tinyCnn,
        seed: 3,
        hyperparameters: { epochs: 30, batchSize: 16, learningRate: 0.005 },
        engine: 'wasm',
      }),
    )
    await epochEnded(core, run.id, 1)
    const reasons: Array<string | null> = []
    core.events.onAny((e, p) => {
      if (e === 'training.statusChanged' && (p as { runId: string }).runId === run.id)
        reasons.push((p as { reason: string | null }).reason)
    })
    const pid = core.training.trainerPid(run.id)!
    process.kill(pid, 'SIGSTOP')
    await expect.poll(() => core.training.get(run.id).statusReason, { timeout: 10_000 }).toMatch(/not responding/)
    expect(core.training.get(run.id).status).toBe('running')
    value(await core.call('runs.stop', { runId: run.id }))
    const ended = await core.training.whenDone(run.id)
    expect(ended.status).toBe('interrupted')
    expect(ended.statusReason).toMatch(/Stopped while the trainer was not responding; Resume continues/)
    expect(reasons[0]).toMatch(/not responding/)
    await core.close()
  }, 120_000)

  it('trains an MLP on the iris table, encoded and standardised with the training split', async () => {
    const dir = tempDir()
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
    const { project, import: started } = value<{ project: Project; import: ImportInfo }>(
      await core.call('projects.createSample', { sample: 'iris' }),
    )
    await core.imports.whenDone(started.id)
    const features = core.training.featureCount(project.id)
    expect(features).toBe(4)
    const run = value<RunSummary>(
      await core.call('runs.start', {
        projectId: project.id,
        spec: {
          inputShape: [features],
          layers: [
            { type: 'Dense', config: { units: 16 } },
            { type: 'Dense', config: { units: 3, activation: 'softmax' } },
          ],
        },
        seed: 3,
        hyperparameters: { epochs: 40, batchSize: 16, learningRate: 0.02, initializer: 'heUniform' },
        engine: 'wasm',
      }),
    )
    const done = await core.training.whenDone(run.id)
    expect(done.status).toBe('completed')
    // A run-wide initializer is written into the recorded spec.
    const detail = value<RunDetail>(await core.call('runs.get', { runId: run.id }))
    expect(detail.spec.layers.map((l) => (l.config as { kernelInitializer: string }).kernelInitializer)).toEqual([
      'heUniform',
      'heUniform',
    ])
    const evaluation = value<{ test: ClassificationEvaluation; validation: ClassificationEvaluation }>(
      await core.call('runs.evaluation', { runId: run.id }),
    )
    expect(evaluation.test.classes.map((c) => c.name)).toEqual(['setosa', 'versicolor', 'virginica'])
    expect(evaluation.test.accuracy).toBeGreaterThan(0.8)
    // The gallery gets each row's values (a table row has no picture); cell (k, k) holds the right answers.
    const right = value<{ items: PredictionExample[] }>(
      await core.call('runs.examples', { runId: run.id, split: 'test', trueIndex: 0, predictedIndex: 0 }),
    )
    expect(right.items.length).toBeGreaterThan(0)
    for (const ex of right.items)
      expect(Object.keys(ex.values ?? {})).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width'])
    await core.close()
  }, 120_000)

  it('compares runs showing only the setting that differs, re-runs exactly, and keeps tags, notes and soft deletes', async () => {
    const { core, project } = await digitsProject(12)
    const start = async (learningRate: number): Promise<RunSummary> =>
      core.training.whenDone(
        value<RunSummary>(
          await core.call('runs.start', {
            projectId: project.id,
            spec: tinyCnn,
            seed: 4,
            hyperparameters: { epochs: 1, batchSize: 16, learningRate },
            engine: 'wasm',
          }),
        ).id,
      )
    const a = await start(0.005)
    const b = await start(0.01)
    const cmp = value<RunComparison>(await core.call('runs.compare', { runIds: [a.id, b.id], metric: 'loss' }))
    expect(cmp.differing).toEqual(['learningRate'])
    expect(cmp.settings.map((s) => s.learningRate)).toEqual(['0.005', '0.01'])
    expect(cmp.curves.map((c) => c.length)).toEqual([1, 1])
    expect(cmp.evaluations.every((e) => e?.kind === 'classification')).toBe(true)

    const again = value<RunSummary>(await core.call('runs.rerun', { runId: a.id }))
    expect(again).toMatchObject({
      parentRunId: a.id,
      seed: 4,
      datasetVersionId: a.datasetVersionId,
      name: 'Run 1 (re-run)',
    })
    await core.training.whenDone(again.id)
    expect(values(core, again.id, 'batch/loss')).toEqual(values(core, a.id, 'batch/loss'))

    expect(
      value<RunSummary>(
        await core.call('runs.update', { runId: b.id, tags: ['fast', 'fast', 'lr'], notes: 'higher rate' }),
      ),
    ).toMatchObject({ tags: ['fast', 'lr'], notes: 'higher rate' })
    value(await core.call('runs.delete', { runId: b.id }))
    expect(
      value<{ items: RunSummary[] }>(await core.call('runs.list', { projectId: project.id })).items.map((r) => r.id),
    ).not.toContain(b.id)
    expect(value<RunSummary>(await core.call('runs.restore', { runId: b.id })).tags).toEqual(['fast', 'lr'])
    const listed = value<{ items: RunSummary[] }>(await core.call('runs.list', { projectId: project.id })).items
    expect(listed).toHaveLength(3)
    expect(listed.find((r) => r.id === a.id)).toMatchObject({
      optimizer: 'adam',
      learningRate: 0.005,
      batchSize: 16,
      testAccuracy: expect.any(Number),
    })
    expect(listed[0]!.architectureSummary).toMatch(
      /^Conv2D · MaxPooling2D · Flatten · Dropout · Dense · [\d,]+ parameters$/,
    )
    await core.close()
  }, 180_000)

  it('cross-validates: k child runs whose test folds are disjoint and cover the data, summed up as mean ± std', async () => {
    const { core, project } = await digitsProject(9)
    const parent = value<RunSummary>(
      await core.call('runs.crossValidate', {
        projectId: project.id,
        spec: tinyCnn,
        seed: 2,
        k: 3,
        hyperparameters: { epochs: 1, batchSize: 16 },
        engine: 'wasm',
      }),
    )
    expect(parent).toMatchObject({ folds: 3, fold: null })
    const done = await core.crossValidation.whenDone(parent.id)
    expect(done.status).toBe('completed')
    expect(done.statusReason).toMatch(/^test accuracy [\d.]+ % ± [\d.]+ over 3 folds$/)
    const cv = value<CrossValidationSummary>(await core.call('runs.crossValidation', { runId: parent.id }))
    expect(cv.folds.map((f) => [f.fold, f.status])).toEqual([
      [0, 'completed'],
      [1, 'completed'],
      [2, 'completed'],
    ])
    expect(cv.mean.testAccuracy).toBeCloseTo(cv.folds.reduce((a, f) => a + f.testAccuracy!, 0) / 3, 10)
    expect(cv.std.testAccuracy).toBeGreaterThanOrEqual(0)
    const tested = await Promise.all(
      cv.folds.map(async (f) =>
        value<{ items: Array<{ sampleId: number }> }>(
          await core.call('runs.predictions', { runId: f.id, split: 'test', limit: 1000 }),
        ).items.map((p) => p.sampleId),
      ),
    )
    const all = tested.flat()
    expect(new Set(all).size).toBe(all.length)
    expect(all.length).toBe(90)
    await core.close()
  }, 180_000)

  it('refuses an impossible model before training, naming the layer and the reason', async () => {
    const { core, project } = await digitsProject(3)
    const start = (spec: ModelSpec): Promise<Result<unknown>> =>
      core.call('runs.start', { projectId: project.id, spec })
    expect(
      await start({
        inputShape: [28, 28, 1],
        layers: [
          { type: 'Conv2D', config: {} },
          { type: 'Dense', config: { units: 10 } },
        ] as never,
      }),
    ).toEqual({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        field: 'spec',
        message:
          'Layer 2 (Dense): Dense needs a flat input, but follows Conv2D, whose output is (26, 26, 32); add a Flatten or GlobalAveragePooling2D first',
      },
    })
    expect(
      await start({
        inputShape: [28, 28, 1],
        layers: [
          { type: 'Flatten', config: {} },
          { type: 'Dense', config: { units: 3, activation: 'softmax' } },
        ] as never,
      }),
    ).toMatchObject({
      ok: false,
      error: { message: 'The last layer has 3 units but the data has 10 classes (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)' },
    })
    expect(
      await start({ inputShape: [28, 28, 1], layers: [{ type: 'Dense', config: { units: -1 } }] as never }),
    ).toMatchObject({
      ok: false,
      error: { message: 'Dense: units must be a positive whole number. Received: units=-1' },
    })
    // An output that cannot be a classifier's: refused, not trained to chance.
    expect(
      await start({
        inputShape: [28, 28, 1],
        layers: [
          { type: 'Flatten', config: {} },
          { type: 'Dense', config: { units: 10, activation: 'relu' } },
        ] as never,
      }),
    ).toMatchObject({
      ok: false,
      error: {
        field: 'spec',
        message: expect.stringContaining(
          'The output ends with relu at layer 2 (Dense), but a classifier’s output needs softmax',
        ),
      },
    })
    // A model too big for the machine: refused with the estimate, before any image is resized for it.
    const huge = await start({
      inputShape: [20000, 20000, 1],
      layers: [
        { type: 'Flatten', config: {} },
        { type: 'Dense', config: { units: 10, activation: 'softmax' } },
      ] as never,
    })
    expect(huge).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        field: 'spec',
        message: expect.stringMatching(
          /^This model needs about [\d.]+ GB to train with batch 32, but this machine can give about/,
        ),
      },
    })
    expect(existsSync(join(core.dataDir, 'caches'))).toBe(false)
    expect(value<{ items: unknown[] }>(await core.call('runs.list', { projectId: project.id })).items).toEqual([])
    await core.close()
  }, 60_000)
})
