/**
 * Runs and sweeps on a real Slurm cluster — the one-node cluster of this machine, submitted to through
 * sbatch — against the same runs on this computer. Skipped, with the reason printed, where Slurm does not
 * answer (start it with scripts/slurm-local.sh; .ci/run does).
 */
import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import type { ClusterProfileRecord } from '../../../shared/cluster'
import type { Project } from '../../../shared/contract'
import type { ModelSpec } from '../../../shared/model/types'
import type { SweepSummary } from '../../../shared/sweep'
import type { RunSummary } from '../../../shared/training'
import { value } from '../../test-support/result'
import { localProfile, slurmHere } from '../../test-support/slurm'
import { useTempDirs } from '../../test-support/temp-dir'
import { createCore, type Core } from '../core'
import { digitsProject as digitsCore } from '../../test-support/digits-core'

const slurm = slurmHere()
if (!slurm.ok) console.log(`slurm: SKIPPED, ${slurm.why}`)

const tempDir = useTempDirs()

const tinyCnn: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', config: { filters: 4, kernelSize: [3, 3] } as never },
    { type: 'MaxPooling2D', config: {} as never },
    { type: 'Flatten', config: {} },
    { type: 'Dropout', config: { rate: 0.25 } },
    { type: 'Dense', config: { units: 10, activation: 'softmax' } as never },
  ],
}

function openCore(dataDir: string): Core {
  return createCore({ dataDir, shell: 'server', version: 't', clusterPollMs: 200 })
}

function digitsProject(perDigit: number): Promise<{ core: Core; project: Project; dataDir: string }> {
  return digitsCore(tempDir(), perDigit, { clusterPollMs: 200 })
}

async function checkedProfile(core: Core, overrides = {}): Promise<ClusterProfileRecord> {
  const saved = value<ClusterProfileRecord>(await core.call('clusters.save', { profile: localProfile(overrides) }))
  const checked = value<ClusterProfileRecord>(await core.call('clusters.check', { id: saved.id }))
  expect(checked.check, checked.check?.message).toMatchObject({ ok: true })
  return checked
}

function series(core: Core, runId: string, key: string): number[] {
  return (core.runs.metrics(runId, [key])[key] ?? []).map((p) => p.value!)
}

function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) return resolve()
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(tick, 200)
    }
    tick()
  })
}

describe.skipIf(!slurm.ok)('runs on a Slurm cluster', () => {
  it('checks a profile with a test submission, and says what failed when the command is wrong', async () => {
    const { core } = await digitsProject(1)
    const good = await checkedProfile(core)
    expect(good.check!.message).toMatch(new RegExp(`^Job \\d+ ran ModelBench .* on ${hostname()} \\(engine \\w+\\)`))
    const bad = value<ClusterProfileRecord>(
      await core.call('clusters.save', {
        profile: localProfile({ name: 'Wrong', command: '/nonexistent/modelbench' }),
      }),
    )
    const failed = value<ClusterProfileRecord>(await core.call('clusters.check', { id: bad.id }))
    expect(failed.check).toMatchObject({ ok: false })
    expect(failed.check!.message).toMatch(/ended (FAILED|COMPLETED) .*without the node writing/)
    // A run cannot go to a cluster that has not passed its check.
    const { project } = { project: value<Project[]>(await core.call('projects.list', {}))[0]! }
    const refused = await core.call('runs.start', { projectId: project.id, spec: tinyCnn, target: bad.id })
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_STATE' } })
    await core.close()
  }, 300_000)

  it('trains a run on the cluster with the same epoch metrics as on this computer, and records the job', async () => {
    const { core, project } = await digitsProject(20)
    const profile = await checkedProfile(core)
    const start = async (target?: string): Promise<RunSummary> =>
      value<RunSummary>(
        await core.call('runs.start', {
          projectId: project.id,
          spec: tinyCnn,
          seed: 5,
          hyperparameters: { epochs: 2, batchSize: 16, learningRate: 0.005 },
          engine: 'wasm',
          ...(target ? { target } : {}),
        }),
      )
    const local = await core.training.whenDone((await start()).id)
    const onCluster = await start(profile.id)
    expect(onCluster.target).toMatchObject({ profileId: profile.id, profileName: profile.profile.name })
    const done = await core.training.whenDone(onCluster.id)
    expect([done.status, done.statusReason]).toEqual(['completed', 'Trained 2 epochs'])
    for (const key of ['loss', 'val_loss', 'accuracy', 'val_accuracy', 'batch/loss'])
      expect(series(core, done.id, key), key).toEqual(series(core, local.id, key))
    expect(done.engine).toMatchObject({ engine: 'wasm' })
    expect(done.target).toMatchObject({ state: 'COMPLETED', node: hostname(), attempts: 1 })
    expect(done.target!.jobId).toMatch(/^\d+$/)
    // Its predictions and final weights are in this data directory, as a local run's are.
    const tried = await core.call('runs.tryImage', { runId: done.id, sampleId: 1 })
    expect(tried.ok).toBe(true)
    await core.close()
  }, 600_000)

  it('reports a job cancelled outside ModelBench with Slurm’s word for it', async () => {
    const { core, project } = await digitsProject(40)
    const profile = await checkedProfile(core)
    const run = value<RunSummary>(
      await core.call('runs.start', {
        projectId: project.id,
        spec: tinyCnn,
        hyperparameters: { epochs: 50, batchSize: 16 },
        engine: 'wasm',
        target: profile.id,
      }),
    )
    await until(() => (core.training.get(run.id).target?.state ?? '') === 'RUNNING', 120_000, 'the job to run')
    await until(() => series(core, run.id, 'batch/loss').length > 0, 120_000, 'the first batch')
    const jobId = core.training.get(run.id).target!.jobId!
    expect(spawnSync('scancel', [jobId]).status).toBe(0)
    const done = await core.training.whenDone(run.id)
    expect(done.status).toBe('failed')
    expect(done.statusReason).toContain(`Slurm ended job ${jobId} on ${hostname()}: CANCELLED`)
    expect(done.statusReason).toContain('cancelled outside ModelBench')
    await core.close()
  }, 300_000)

  it('submits a job killed by its time limit again, which resumes from its checkpoint and ends like an uninterrupted run', async () => {
    const { core, project } = await digitsProject(60)
    // One minute: Slurm kills the job part-way through the run (it takes two to three).
    const profile = await checkedProfile(core, { name: 'Short', timeLimitMinutes: 1 })
    const settings = {
      projectId: project.id,
      spec: tinyCnn,
      seed: 8,
      hyperparameters: { epochs: 600, batchSize: 16, learningRate: 0.003 },
      engine: 'wasm' as const,
    }
    const onCluster = value<RunSummary>(await core.call('runs.start', { ...settings, target: profile.id }))
    const local = value<RunSummary>(await core.call('runs.start', settings))
    const [done, reference] = await Promise.all([
      core.training.whenDone(onCluster.id),
      core.training.whenDone(local.id),
    ])
    expect([reference.status, reference.statusReason]).toEqual(['completed', 'Trained 600 epochs'])
    expect([done.status, done.statusReason]).toEqual(['completed', 'Trained 600 epochs'])
    expect(done.target!.attempts).toBeGreaterThanOrEqual(2)
    expect(series(core, done.id, 'loss')).toEqual(series(core, reference.id, 'loss'))
    expect(series(core, done.id, 'val_loss')).toEqual(series(core, reference.id, 'val_loss'))
    await core.close()
  }, 900_000)
})

describe.skipIf(!slurm.ok)('sweeps on a Slurm cluster', () => {
  it('runs a 6-trial TPE sweep 2 at a time, prunes through the stop request, and survives a restart', async () => {
    const { core, project, dataDir } = await digitsProject(40)
    const profile = await checkedProfile(core)
    const started = value<SweepSummary>(
      await core.call('sweeps.start', {
        projectId: project.id,
        spec: tinyCnn,
        // Enough epochs that a pruned trial has many left when its stop request arrives.
        hyperparameters: { epochs: 30, batchSize: 16 },
        seed: 3,
        engine: 'wasm',
        target: profile.id,
        parallel: 2,
        // Wide enough that some trials learn far worse than others: the median rule stops those.
        space: [{ path: 'learningRate', kind: 'float', low: 0.0001, high: 0.8, log: true }],
        strategy: 'tpe',
        objective: { metric: 'val_loss', direction: 'minimize' },
        budget: { trials: 6, minutes: null },
        pruning: { rule: 'median', warmupEpochs: 1, minTrials: 2 },
      }),
    )
    // Two trials at a time on the cluster: both submitted before either finished.
    let most = 0
    await until(
      () => {
        const d = core.sweeps.get(started.id)
        const running = d.trials.filter((t) => t.state === 'running').length
        most = Math.max(most, running)
        return d.trials.filter((t) => t.state !== 'running').length >= 2
      },
      300_000,
      'two finished trials',
    )
    expect(most).toBe(2)
    // The app closes mid-sweep; the cluster jobs go on.
    const before = core.sweeps.get(started.id)
    const finishedBefore = before.trials.filter((t) => t.state !== 'running').map((t) => t.runId)
    const jobsBefore = new Map(
      before.trials.map((t) => [t.runId, t.runId ? core.training.get(t.runId).target?.jobId : null]),
    )
    await core.close()
    const again = openCore(dataDir)
    const done = await again.sweeps.whenDone(started.id)
    expect(done.status).toBe('completed')
    expect(done.trials).toHaveLength(6)
    // No finished trial was submitted again: same runs, same jobs.
    for (const runId of finishedBefore) expect(again.training.get(runId!).target?.jobId).toBe(jobsBefore.get(runId))
    const pruned = done.trials.filter((t) => t.state === 'pruned')
    expect(pruned.length).toBeGreaterThan(0)
    for (const t of pruned) {
      const run = again.training.get(t.runId!)
      // Stopped by the worker at the stop request (it wrote its own result), not by scancel.
      expect(run.status).toBe('stopped')
      expect(run.epochsDone).toBeLessThan(30)
    }
    await again.close()
  }, 1_200_000)
})
