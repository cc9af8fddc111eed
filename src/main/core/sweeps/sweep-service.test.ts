import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ImportInfo, Project } from '../../../shared/contract'
import type { SweepDetail, SweepSummary } from '../../../shared/sweep'
import type { RunDetail, RunSummary } from '../../../shared/training'
import { value } from '../../test-support/result'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore, type Core } from '../core'

const tempDir = useTempDirs()

const mlp = {
  inputShape: [4],
  layers: [
    { type: 'Dense', config: { units: 8 } },
    { type: 'Dropout', config: { rate: 0.2 } },
    { type: 'Dense', config: { units: 3, activation: 'softmax' } },
  ],
}

async function irisCore(dataDir: string): Promise<{ core: Core; projectId: string }> {
  const core = createCore({ dataDir, shell: 'server', version: 't' })
  const { project, import: started } = value<{ project: Project; import: ImportInfo }>(
    await core.call('projects.createSample', { sample: 'iris' }),
  )
  await core.imports.whenDone(started.id)
  return { core, projectId: project.id }
}

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('sweeps', () => {
  it('runs a grid unattended, each trial an ordinary run with its settings applied, and reports the best', async () => {
    const { core, projectId } = await irisCore(join(tempDir(), 'data'))
    const started = value<SweepSummary>(
      await core.call('sweeps.start', {
        projectId,
        spec: mlp,
        hyperparameters: { epochs: 3, batchSize: 16 },
        seed: 4,
        engine: 'wasm',
        space: [
          { path: 'learningRate', kind: 'float', low: 0.001, high: 0.1, log: true, gridPoints: 2 },
          { path: 'layers.0.units', kind: 'int', low: 4, high: 12, step: 8 },
        ],
        strategy: 'grid',
        budget: {},
        objective: { metric: 'val_accuracy', direction: 'maximize' },
      }),
    )
    expect(started).toMatchObject({ status: 'running', plannedTrials: 4, name: 'Sweep 1' })
    const done = await core.sweeps.whenDone(started.id)
    expect(done).toMatchObject({
      status: 'completed',
      statusReason: 'Tried all 4 points of the grid',
      counts: { completed: 4, pruned: 0, failed: 0 },
    })
    expect(done.trials.map((t) => t.params)).toEqual([
      { learningRate: 0.001, 'layers.0.units': 4 },
      { learningRate: 0.001, 'layers.0.units': 12 },
      { learningRate: 0.1, 'layers.0.units': 4 },
      { learningRate: 0.1, 'layers.0.units': 12 },
    ])
    for (const t of done.trials) {
      const run = value<RunDetail>(await core.call('runs.get', { runId: t.runId! }))
      expect(run).toMatchObject({
        status: 'completed',
        sweepId: started.id,
        seed: 4,
        name: `Sweep 1 · trial ${t.number}`,
      })
      expect(run.hyperparameters.learningRate).toBe(t.params.learningRate)
      expect(run.spec.layers[0]!.config).toMatchObject({ units: t.params['layers.0.units'] })
      expect(t.curve).toHaveLength(3)
      expect(t.objective).toBe(Math.max(...t.curve.map((v) => v!)))
    }
    const best = [...done.trials].sort((a, b) => b.objective! - a.objective!)[0]!
    expect(done.best).toMatchObject({ objective: best.objective, params: best.params })
    expect(done.importance.values.map((v) => v.path).sort()).toEqual(['layers.0.units', 'learningRate'])
    expect(done.importance.method).toMatch(/^Correlation ratio/)
    // The runs page sees the trials as ordinary runs.
    expect(value<{ total: number }>(await core.call('runs.list', { projectId })).total).toBe(4)
    expect(value<SweepSummary[]>(await core.call('sweeps.list', { projectId })).map((s) => s.id)).toEqual([started.id])
    await core.close()
  }, 120_000)

  it('runs a TPE sweep whose last trials are proposed from the finished ones, pruning by the median rule', async () => {
    const { core, projectId } = await irisCore(join(tempDir(), 'data'))
    const started = value<SweepSummary>(
      await core.call('sweeps.start', {
        projectId,
        spec: mlp,
        hyperparameters: { epochs: 4, batchSize: 16 },
        seed: 2,
        engine: 'wasm',
        space: [
          { path: 'learningRate', kind: 'float', low: 0.0005, high: 0.2, log: true },
          { path: 'optimizer', kind: 'categorical', choices: ['adam', 'sgd'] },
          { path: 'layers.1.present', kind: 'categorical', choices: [true, false] },
        ],
        strategy: 'tpe',
        budget: { trials: 6 },
        objective: { metric: 'val_loss', direction: 'minimize' },
        pruning: { rule: 'median', warmupEpochs: 1, minTrials: 2 },
      }),
    )
    const done = await core.sweeps.whenDone(started.id)
    expect(done.status).toBe('completed')
    expect(done.trials).toHaveLength(6)
    expect(done.counts.completed + done.counts.pruned).toBe(6)
    // With this seed two trials fall behind the median after their second epoch.
    expect(done.counts.pruned).toBeGreaterThan(0)
    for (const t of done.trials) {
      expect(t.params.learningRate).toBeGreaterThanOrEqual(0.0005)
      expect(t.params.learningRate).toBeLessThanOrEqual(0.2)
      const run = value<RunDetail>(await core.call('runs.get', { runId: t.runId! }))
      // A layer left out by the trial is not in its run's model.
      expect(run.spec.layers.map((l) => l.type)).toEqual(
        t.params['layers.1.present'] ? ['Dense', 'Dropout', 'Dense'] : ['Dense', 'Dense'],
      )
      if (t.state === 'pruned') {
        expect(t.endedReason).toMatch(/^Pruned: median rule at epoch [23] \(best so far/)
        expect(run.statusReason).toMatch(/^Pruned by Sweep 1: median rule at epoch/)
      }
    }
    // Minimising: the best is the lowest validation loss among the completed trials.
    const completed = done.trials.filter((t) => t.state === 'completed')
    expect(done.best!.objective).toBe(Math.min(...completed.map((t) => t.objective!)))
    await core.close()
  }, 120_000)

  it('refuses an empty or impossible space with the reason', async () => {
    const { core, projectId } = await irisCore(join(tempDir(), 'data'))
    const base = { projectId, spec: mlp, budget: { trials: 2 } }
    expect(await core.call('sweeps.start', { ...base, space: [], strategy: 'random' })).toMatchObject({
      ok: false,
      error: { message: 'The search space is empty: add at least one setting to vary', field: 'space' },
    })
    expect(
      await core.call('sweeps.start', {
        ...base,
        space: [{ path: 'layers.7.units', kind: 'int', low: 2, high: 4 }],
        strategy: 'random',
      }),
    ).toMatchObject({
      ok: false,
      error: { message: 'layers.7.units: the architecture has no layer 8' },
    })
    expect(
      await core.call('sweeps.start', {
        ...base,
        space: [{ path: 'layers.1.units', kind: 'int', low: 2, high: 4 }],
        strategy: 'tpe',
      }),
    ).toMatchObject({
      ok: false,
      error: { message: 'layers.1.units: a Dropout layer has no setting “units”' },
    })
    expect(
      await core.call('sweeps.start', {
        ...base,
        space: [{ path: 'learningRate', kind: 'float', low: 0.1, high: 0.001 }],
        strategy: 'random',
        budget: {},
      }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(
      await core.call('sweeps.start', {
        ...base,
        space: [{ path: 'learningRate', kind: 'float', low: 0.001, high: 0.1 }],
        strategy: 'tpe',
        budget: {},
      }),
    ).toMatchObject({
      ok: false,
      error: {
        field: 'budget',
        message: 'Give a number of trials, a time limit, or both: random and TPE search go on until told to stop',
      },
    })
    expect(value<SweepSummary[]>(await core.call('sweeps.list', { projectId }))).toEqual([])
    await core.close()
  }, 60_000)

  it('a sweep killed mid-way resumes where it stopped without repeating a finished trial', async () => {
    const dataDir = join(tempDir(), 'data')
    const first = await irisCore(dataDir)
    const started = value<SweepSummary>(
      await first.core.call('sweeps.start', {
        projectId: first.projectId,
        spec: mlp,
        hyperparameters: { epochs: 12, batchSize: 4 },
        seed: 9,
        engine: 'wasm',
        space: [{ path: 'learningRate', kind: 'float', low: 0.001, high: 0.05, log: true }],
        strategy: 'random',
        budget: { trials: 3 },
      }),
    )
    // Wait for trial 1 to finish and trial 2 to be a few epochs in, then close the app as a user would.
    let during: SweepDetail | null = null
    await until(() => {
      during = first.core.sweeps.get(started.id)
      const second = during.trials[1]
      return (
        during.trials[0]?.state === 'completed' &&
        second?.runId !== null &&
        second !== undefined &&
        second.curve.length >= 2
      )
    })
    const before = during!
    await first.core.close()

    const second = createCore({ dataDir, shell: 'server', version: 't' })
    const done = await second.sweeps.whenDone(started.id)
    expect(done).toMatchObject({ status: 'completed', counts: { completed: 3 } })
    expect(done.trials.map((t) => t.number)).toEqual([1, 2, 3])
    // Trial 1 kept its run and result; trial 2 continued its own run from the checkpoint.
    expect(done.trials[0]).toMatchObject({
      runId: before.trials[0]!.runId,
      objective: before.trials[0]!.objective,
      params: before.trials[0]!.params,
    })
    expect(done.trials[1]!.runId).toBe(before.trials[1]!.runId)
    expect(done.trials[1]!.curve).toHaveLength(12)
    const runs = value<{ items: RunSummary[] }>(await second.call('runs.list', { projectId: first.projectId })).items
    expect(runs).toHaveLength(3)
    expect(new Set(runs.map((r) => r.status))).toEqual(new Set(['completed']))
    // Proposals come from the seed and the trial number: the same as an uninterrupted sweep's.
    expect(done.trials[1]!.params).toEqual(before.trials[1]!.params)
    await second.close()
  }, 180_000)
})
