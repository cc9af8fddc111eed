/**
 * Sweep benchmark: the same 12-trial random sweep (learning rate × dropout, 6 epochs each, the same seed, so
 * the same 12 settings) on 1,500 digits of the sample, once with successive halving (ASHA, η = 3, rungs at
 * epochs 1 and 3) and once without pruning. Prints the time each took and the best validation accuracy each
 * found, ending with one line:
 *   sweep: pruned P of 12, time T1 s vs T2 s unpruned, best val acc A1 vs A2
 * Then, where Slurm answers (scripts/slurm-local.sh starts a one-node cluster), the unpruned sweep again
 * as Slurm jobs, 2 at a time — the same code path as a real cluster's; on one node no speed-up is expected:
 *   sweep on slurm: 12 trials 2 at a time in T3 s vs T2 s here, best val acc A3 vs A2, same settings: yes
 * Run: npm run bench:sweep
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ImportInfo, Project } from '../src/shared/contract'
import type { PruningRule, SweepSummary } from '../src/shared/sweep'
import { createCore } from '../src/main/core/core'
import { writeDigitsFolder } from '../src/main/core/datasets/sample-data'
import type { ClusterProfileRecord } from '../src/shared/cluster'
import { localProfile, slurmHere } from '../src/main/test-support/slurm'

const trials = 12

function ok<T>(r: { ok: true; value: unknown } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message)
  return r.value as T
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modelbench-bench-sweep-'))
  const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 'bench' })
  try {
    const project = ok<Project>(await core.call('projects.create', { name: 'Digits subset' }))
    await writeDigitsFolder(join(dir, 'digits'), 150)
    await core.imports.whenDone(
      ok<ImportInfo>(await core.call('datasets.importImages', { projectId: project.id, paths: [join(dir, 'digits')] }))
        .id,
    )
    const spec = {
      inputShape: [28, 28, 1],
      layers: [
        { type: 'Conv2D', config: { filters: 8, kernelSize: 3 } },
        { type: 'MaxPooling2D', config: {} },
        { type: 'Flatten', config: {} },
        { type: 'Dropout', config: { rate: 0.25 } },
        { type: 'Dense', config: { units: 10, activation: 'softmax' } },
      ],
    }
    const results: Record<string, { seconds: number; best: number; pruned: number; params: string }> = {}
    const slurm = slurmHere()
    let target: string | null = null
    if (slurm.ok) {
      const profile = ok<ClusterProfileRecord>(await core.call('clusters.save', { profile: localProfile() }))
      const checked = ok<ClusterProfileRecord>(await core.call('clusters.check', { id: profile.id }))
      if (checked.check?.ok) target = profile.id
      else console.log(`slurm: the test submission failed (${checked.check?.message}); the cluster sweep is skipped`)
    } else console.log(`slurm: ${slurm.why}; the cluster sweep is skipped`)
    const runs: Array<[string, PruningRule, string | null]> = [
      ['asha', { rule: 'asha', minEpochs: 1, reductionFactor: 3 }, null],
      ['none', { rule: 'none' }, null],
      ...(target ? [['slurm', { rule: 'none' }, target] as [string, PruningRule, string]] : []),
    ]
    for (const [label, pruning, on] of runs) {
      const t0 = Date.now()
      const started = ok<SweepSummary>(
        await core.call('sweeps.start', {
          projectId: project.id,
          name: `bench ${label}`,
          spec,
          hyperparameters: { epochs: 6, batchSize: 32 },
          seed: 12,
          engine: 'wasm',
          space: [
            { path: 'learningRate', kind: 'float', low: 0.0001, high: 0.05, log: true },
            { path: 'layers.3.rate', kind: 'float', low: 0, high: 0.6 },
          ],
          strategy: 'random',
          budget: { trials },
          objective: { metric: 'val_accuracy', direction: 'maximize' },
          pruning,
          ...(on ? { target: on, parallel: 2 } : {}),
        }),
      )
      const done = await core.sweeps.whenDone(started.id)
      const seconds = (Date.now() - t0) / 1000
      results[label] = {
        seconds,
        best: done.best?.objective ?? NaN,
        pruned: done.counts.pruned,
        params: JSON.stringify(done.trials.map((t) => t.params)),
      }
      console.log(
        `${label === 'asha' ? 'with successive halving' : label === 'slurm' ? 'on Slurm, 2 at a time' : 'without pruning'}: ${done.counts.completed} completed, ${done.counts.pruned} pruned in ${seconds.toFixed(1)} s; best val accuracy ${((done.best?.objective ?? NaN) * 100).toFixed(2)} % (trial ${done.best?.number})`,
      )
      for (const t of done.trials)
        console.log(
          `  trial ${String(t.number).padStart(2)} lr ${Number(t.params.learningRate).toExponential(2)} dropout ${Number(t.params['layers.3.rate']).toFixed(2)}: ${t.state.padEnd(9)} ${t.curve.map((v) => (v === null ? '—' : (v * 100).toFixed(1))).join(' ')}`,
        )
    }
    const a = results.asha!
    const b = results.none!
    console.log(
      `sweep: pruned ${a.pruned} of ${trials}, time ${a.seconds.toFixed(1)} s vs ${b.seconds.toFixed(1)} s unpruned, best val acc ${(a.best * 100).toFixed(2)} % vs ${(b.best * 100).toFixed(2)} %`,
    )
    const c = results.slurm
    if (c)
      console.log(
        `sweep on slurm: ${trials} trials 2 at a time in ${c.seconds.toFixed(1)} s vs ${b.seconds.toFixed(1)} s here, best val acc ${(c.best * 100).toFixed(2)} % vs ${(b.best * 100).toFixed(2)} %, same settings: ${c.params === b.params ? 'yes' : 'no'}`,
      )
  } finally {
    await core.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

void main()
