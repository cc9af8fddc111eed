/**
 * Whole runs on the webgpu engine, through the core and its trainer processes as the app runs them: the
 * reference CNN against the cpu engine (same seed: same losses within a tolerance), a resumed run that
 * continues exactly, predictions on the engine in use, and a model too big for the adapter refused before
 * training. On a machine without a graphics card the adapter is SwiftShader (software: correctness only).
 */
import { describe, expect, it } from 'vitest'
import type { Project } from '../../../shared/contract'
import { referenceCnn } from '../../../shared/model/reference-cnn'
import type { PredictionRow, RunSummary, TryImageResult } from '../../../shared/training'
import { value } from '../../test-support/result'
import { useSwiftShader } from '../../test-support/swiftshader'
import { useTempDirs } from '../../test-support/temp-dir'
import type { Core } from '../core'
import { digitsProject as digitsCore, epochEnded } from '../../test-support/digits-core'
import { probeAdapter } from './webgpu'

useSwiftShader()
const found = await probeAdapter()
if (!found.adapter) console.log(`webgpu training: SKIPPED, no WebGPU adapter could be created (${found.problem})`)

const tempDir = useTempDirs()

function digitsProject(perDigit: number): Promise<{ core: Core; project: Project }> {
  return digitsCore(tempDir(), perDigit)
}

function series(core: Core, runId: string, key: string): number[] {
  return core.runs.metrics(runId, [key])[key]!.map((p) => p.value!)
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a).toHaveLength(b.length)
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))
}

/** Same seed, same data version, same losses: per batch and per epoch, within these. */
const batchTolerance = 1e-4
const epochTolerance = 1e-5

describe.skipIf(!found.adapter)('training on the webgpu engine', () => {
  it('trains the reference CNN 2 epochs on 1,000 digits with the cpu engine’s losses, and predicts on webgpu', async () => {
    const { core, project } = await digitsProject(100)
    const start = async (engine: 'webgpu' | 'cpu'): Promise<RunSummary> =>
      value<RunSummary>(
        await core.call('runs.start', {
          projectId: project.id,
          spec: referenceCnn,
          seed: 21,
          hyperparameters: { epochs: 2, batchSize: 32, learningRate: 0.001 },
          engine,
        }),
      )
    // One after the other: on two cores, side by side, each would slow the other down.
    const gpu = await core.training.whenDone((await start('webgpu')).id)
    const cpu = await core.training.whenDone((await start('cpu')).id)
    expect([gpu.status, gpu.statusReason, gpu.epochsDone]).toEqual(['completed', 'Trained 2 epochs', 2])
    expect([cpu.status, cpu.statusReason, cpu.epochsDone]).toEqual(['completed', 'Trained 2 epochs', 2])
    expect(gpu.engine).toMatchObject({ engine: 'webgpu', backend: 'webgpu', adapter: found.adapter })
    expect(cpu.engine).toMatchObject({ engine: 'cpu' })

    const batches = maxAbsDiff(series(core, gpu.id, 'batch/loss'), series(core, cpu.id, 'batch/loss'))
    const epochs = ['loss', 'val_loss', 'accuracy', 'val_accuracy'].map((k) =>
      maxAbsDiff(series(core, gpu.id, k), series(core, cpu.id, k)),
    )
    console.log(
      `webgpu vs cpu, reference CNN, 2 epochs on 1,000 digits: largest batch-loss difference ${batches.toExponential(2)}, ` +
        `epoch loss/val_loss/accuracy/val_accuracy ${epochs.map((d) => d.toExponential(2)).join(' / ')}`,
    )
    expect(batches).toBeLessThan(batchTolerance)
    epochs.forEach((d) => expect(d).toBeLessThan(epochTolerance))
    // The evaluation's predictions, computed in the trainer on each engine, agree too.
    const predictions = async (runId: string): Promise<PredictionRow[]> =>
      value<{ items: PredictionRow[] }>(await core.call('runs.predictions', { runId, split: 'test', limit: 1000 }))
        .items
    const [gpuRows, cpuRows] = [await predictions(gpu.id), await predictions(cpu.id)]
    expect(gpuRows.map((r) => r.predictedIndex)).toEqual(cpuRows.map((r) => r.predictedIndex))

    // With WebGPU chosen on the Engine page, Try it computes on it, and gives what the evaluation stored.
    value(await core.call('engine.setPreference', { choice: 'webgpu' }))
    const row = gpuRows[0]!
    const tried = value<TryImageResult>(await core.call('runs.tryImage', { runId: gpu.id, sampleId: row.sampleId }))
    expect(tried.engine).toBe('webgpu')
    tried.classes.forEach((c, i) => expect(Math.abs(c.probability - row.probabilities![i]!)).toBeLessThan(1e-4))
    value(await core.call('engine.setPreference', { choice: 'auto' }))
    const auto = value<TryImageResult>(await core.call('runs.tryImage', { runId: gpu.id, sampleId: row.sampleId }))
    // Automatic never picks a software adapter.
    expect(auto.engine).toBe(found.adapter!.software ? 'wasm' : 'webgpu')
    await core.close()
  }, 1_200_000)

  it('resumes a killed run from its checkpoint on webgpu and continues exactly', async () => {
    const { core, project } = await digitsProject(15)
    const spec = {
      inputShape: [28, 28, 1],
      layers: [
        { type: 'Conv2D', config: { filters: 4, kernelSize: [3, 3] } as never },
        { type: 'MaxPooling2D', config: {} as never },
        { type: 'BatchNormalization', config: {} as never },
        { type: 'Flatten', config: {} },
        { type: 'Dropout', config: { rate: 0.25 } },
        { type: 'Dense', config: { units: 10, activation: 'softmax' } as never },
      ],
    }
    const start = async (): Promise<RunSummary> =>
      value<RunSummary>(
        await core.call('runs.start', {
          projectId: project.id,
          spec,
          seed: 4,
          hyperparameters: { epochs: 3, batchSize: 16, learningRate: 0.005 },
          engine: 'webgpu',
        }),
      )
    const reference = await core.training.whenDone((await start()).id)
    const run = await start()
    await epochEnded(core, run.id, 1)
    core.training.killTrainer(run.id)
    expect(await core.training.whenDone(run.id)).toMatchObject({ status: 'interrupted', epochsDone: 1 })
    value(await core.call('runs.resume', { runId: run.id }))
    const resumed = await core.training.whenDone(run.id)
    expect(resumed).toMatchObject({ status: 'completed', epochsDone: 3, engine: { engine: 'webgpu' } })
    expect(series(core, run.id, 'loss')).toEqual(series(core, reference.id, 'loss'))
    expect(series(core, run.id, 'val_loss')).toEqual(series(core, reference.id, 'val_loss'))
    await core.close()
  }, 600_000)

  it('refuses, before training, a model whose tensors pass the adapter’s buffer limit', async () => {
    const { core, project } = await digitsProject(2)
    const limit = Math.min(found.adapter!.maxBufferSize, found.adapter!.maxStorageBufferBindingSize)
    // One 28×28×filters float activation per image; enough filters that a batch of 64 passes the limit.
    const filters = Math.ceil(limit / (64 * 26 * 26 * 4)) + 1
    const run = value<RunSummary>(
      await core.call('runs.start', {
        projectId: project.id,
        spec: {
          inputShape: [28, 28, 1],
          layers: [
            { type: 'Conv2D', config: { filters, kernelSize: [3, 3] } as never },
            { type: 'GlobalAveragePooling2D', config: {} },
            { type: 'Dense', config: { units: 10, activation: 'softmax' } as never },
          ],
        },
        hyperparameters: { epochs: 1, batchSize: 64 },
        engine: 'webgpu',
      }),
    )
    const done = await core.training.whenDone(run.id)
    expect(done.status).toBe('failed')
    expect(done.statusReason).toMatch(
      /does not fit the graphics card .*the output of layer 1 \(Conv2D\).*the adapter's (maxStorageBufferBindingSize|maxBufferSize)/,
    )
    expect(done.statusReason).toMatch(/Use a batch size of at most \d+/)
    expect(core.runs.metrics(run.id, ['batch/loss'])['batch/loss'] ?? []).toEqual([])
    await core.close()
  }, 120_000)
})
