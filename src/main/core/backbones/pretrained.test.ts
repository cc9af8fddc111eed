import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { photoLikeImage, writePhotoLikeDataset } from '../../../../tests/fixtures/photo-like'
import type { EventName, EventPayload, ImportInfo, Project } from '../../../shared/contract'
import type { ExportRecord } from '../../../shared/export'
import type { ModelSpec } from '../../../shared/model/types'
import type { CrossValidationSummary, LabelSuggestion, RunSummary, TryImageResult } from '../../../shared/training'
import { value } from '../../test-support/result'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore, type Core } from '../core'
import { predictFiles } from '../export/predict-files'

const tempDir = useTempDirs()

const pretrained = (trainableBlocks = 0): ModelSpec => ({
  inputShape: [224, 224, 3],
  layers: [
    { type: 'Pretrained', config: { backbone: 'mobilenetV2', trainableBlocks } },
    { type: 'Dropout', config: { rate: 0.2 } },
    { type: 'Dense', config: { units: 2, activation: 'softmax' } as never },
  ],
})

type Prepared = EventPayload<'training.prepareProgressed'>

async function photoProject(): Promise<{
  core: Core
  project: Project
  events: Array<{ name: EventName; payload: unknown }>
}> {
  const dir = tempDir()
  const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
  const project = value<Project>(await core.call('projects.create', { name: 'Photos' }))
  // 24 + 24 to train on, 50 + 50 test images: the export is checked on 100.
  const folder = await writePhotoLikeDataset(join(dir, 'photos'), { train: 24, test: 50, seed: 5 })
  await core.imports.whenDone(
    value<ImportInfo>(await core.call('datasets.importImages', { projectId: project.id, paths: [folder] })).id,
  )
  const events: Array<{ name: EventName; payload: unknown }> = []
  core.events.onAny((name, payload) => events.push({ name, payload }))
  return { core, project, events }
}

const featureEvents = (events: Array<{ name: EventName; payload: unknown }>, runId: string): Prepared[] =>
  events
    .filter(
      (e) =>
        e.name === 'training.prepareProgressed' &&
        (e.payload as Prepared).runId === runId &&
        (e.payload as Prepared).phase === 'features',
    )
    .map((e) => e.payload as Prepared)

// Each test trains a backbone model: about 2 minutes on an idle machine; CI under two other CI runs took over 5.
describe('a model on a pretrained backbone', () => {
  it('trains on cached features, says what it ignored, predicts new images, re-uses the cache, and exports the whole model, verified', async () => {
    const { core, project, events } = await photoProject()
    const hp = { epochs: 8, batchSize: 16, learningRate: 0.003, augmentation: { flip: 'horizontal', rotation: 10 } }
    const started = value<RunSummary>(
      await core.call('runs.start', { projectId: project.id, spec: pretrained(), seed: 2, hyperparameters: hp }),
    )
    const run = await core.training.whenDone(started.id)
    expect(run.status).toBe('completed')
    expect(run.testAccuracy).toBeGreaterThan(0.8)
    expect(run.engine?.backbone).toMatchObject({ id: 'mobilenetV2', origin: 'nsfwjs@4.4.0', trainableBlocks: 0 })
    expect(run.engine?.backbone?.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(run.engine?.backbone?.featureEngine).toMatch(/^onnxruntime-node /)
    expect(run.engine?.skipped.join('\n')).toContain('augmentation: off with a pretrained backbone')
    // Features were computed with progress: from 0 to all 148 images.
    const computed = featureEvents(events, run.id)
    expect(computed[0]).toMatchObject({ done: 0, total: 148 })
    expect(computed.at(-1)).toMatchObject({ done: 148, total: 148 })

    const image = await photoLikeImage('star', 424242)
    const tried = value<TryImageResult>(
      await core.call('runs.tryImage', { runId: run.id, imageBase64: image.toString('base64'), fileName: 'new.jpg' }),
    )
    expect(tried.classes.map((c) => c.name)).toEqual(['ring', 'star'])
    expect(tried.classes.reduce((s, c) => s + c.probability, 0)).toBeCloseTo(1, 5)

    // A second run and a 2-fold cross-validation read the same cache: no image is computed again.
    const second = await core.training.whenDone(
      value<RunSummary>(
        await core.call('runs.start', {
          projectId: project.id,
          spec: pretrained(),
          seed: 3,
          hyperparameters: { epochs: 1, batchSize: 64 },
        }),
      ).id,
    )
    expect(second.status).toBe('completed')
    // A batch larger than the training split is said, not silently shrunk.
    expect(second.engine?.skipped.join('\n')).toMatch(
      /batch size: 64 is more than the \d+ training examples, so each epoch is one step on all of them/,
    )
    expect(featureEvents(events, second.id)).toEqual([
      expect.objectContaining({ done: 148, total: 148, secondsLeft: 0 }),
    ])
    const cv = value<RunSummary>(
      await core.call('runs.crossValidate', {
        projectId: project.id,
        spec: pretrained(),
        seed: 4,
        hyperparameters: { epochs: 1 },
        k: 2,
      }),
    )
    await core.crossValidation.whenDone(cv.id)
    const folds = value<CrossValidationSummary>(await core.call('runs.crossValidation', { runId: cv.id })).folds
    expect(folds.map((f) => f.status)).toEqual(['completed', 'completed'])
    for (const f of folds) expect(featureEvents(events, f.id).every((p) => p.done === p.total)).toBe(true)

    const started2 = value<ExportRecord>(await core.call('exports.start', { runId: run.id, formats: ['tfjs', 'onnx'] }))
    const exported = await core.exports.whenDone(started2.id)
    expect(exported.status).toBe('verified')
    for (const r of exported.results) {
      expect(r).toMatchObject({ checked: 100, sameTop1: 100, verified: true })
      expect(r.maxDifference!).toBeLessThanOrEqual(1e-4)
    }
    // Label suggestions for images imported later, unlabeled: the backbone's run sorts them.
    const loose = join(tempDir(), 'loose')
    mkdirSync(loose)
    for (const [i, cls] of (['ring', 'star', 'ring', 'star'] as const).entries())
      writeFileSync(join(loose, `new-${i}.jpg`), await photoLikeImage(cls, 31337 + i))
    await core.imports.whenDone(
      value<ImportInfo>(await core.call('datasets.importImages', { projectId: project.id, paths: [loose] })).id,
    )
    const suggested = value<{ items: LabelSuggestion[] }>(
      await core.call('runs.suggestLabels', { runId: run.id }),
    ).items.sort((a, b) => a.sampleId - b.sampleId)
    expect(suggested).toHaveLength(4)
    expect(
      suggested.filter((x, i) => x.className === ['ring', 'star', 'ring', 'star'][i]).length,
    ).toBeGreaterThanOrEqual(3)

    const preprocessing = JSON.parse(readFileSync(join(exported.dir, 'preprocessing.json'), 'utf8')) as Record<
      string,
      unknown
    >
    expect(preprocessing).toMatchObject({
      kind: 'image',
      inputShape: [224, 224, 3],
      colorMode: 'rgb',
      mean: [0, 0, 0],
      std: [255, 255, 255],
    })
    expect(preprocessing.note).toContain('grey images are copied into three channels')
    const card = readFileSync(join(exported.dir, 'MODEL_CARD.md'), 'utf8')
    expect(card).toContain('### Pretrained backbone')
    expect(card).toContain('nsfwjs@4.4.0')
    expect(card).toContain('Licence: MIT')
    const file = join(tempDir(), 'star.jpg')
    writeFileSync(file, image)
    for (const format of ['onnx', 'tfjs'] as const) {
      const { lines, problems } = await predictFiles(exported.dir, [file], format)
      expect(problems).toEqual([])
      expect(lines[0]!.label).toBe(tried.predicted)
      expect(lines[0]!.probabilities!.star!).toBeCloseTo(tried.classes[1]!.probability, 4)
    }
  }, 900_000)

  it('fine-tunes the top blocks, and a trainer killed while computing features resumes them where it stopped', async () => {
    const { core, project, events } = await photoProject()
    const started = value<RunSummary>(
      await core.call('runs.start', {
        projectId: project.id,
        spec: pretrained(1),
        seed: 2,
        hyperparameters: { epochs: 1, batchSize: 16 },
      }),
    )
    const killedAt = await new Promise<number>((resolve) => {
      const off = core.events.onAny((name, payload) => {
        const p = payload as Prepared
        if (
          name === 'training.prepareProgressed' &&
          p.runId === started.id &&
          p.phase === 'features' &&
          p.done > 0 &&
          p.done < p.total
        ) {
          off()
          core.training.killTrainer(started.id)
          resolve(p.done)
        }
      })
    })
    const killed = await core.training.whenDone(started.id)
    expect(killed.status).toBe('interrupted')
    const before = featureEvents(events, started.id).length
    value(await core.call('runs.resume', { runId: started.id }))
    const done = await core.training.whenDone(started.id)
    expect(done.status).toBe('completed')
    expect(done.engine?.backbone?.trainableBlocks).toBe(1)
    const resumed = featureEvents(events, started.id).slice(before)
    expect(resumed[0]!.done).toBeGreaterThanOrEqual(killedAt)
    expect(resumed.at(-1)).toMatchObject({ done: 148, total: 148 })
  }, 900_000)
})
