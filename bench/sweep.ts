/**
 * Sweep benchmark: the same 12-trial random sweep (learning rate × dropout, 6 epochs each, the same seed, so
 * the same 12 settings) on 1,500 digits of the sample, once with successive halving (ASHA, η = 3, rungs at
 * epochs 1 and 3) and once without pruning. Prints the time each took and the best validation accuracy each
 * found, ending with one line:
 *   sweep: pruned P of 12, time T1 s vs T2 s unpruned, best val acc A1 vs A2
 * Run: npm run bench:sweep
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ImportInfo, Project } from '../src/shared/contract'
import type { PruningRule, SweepSummary } from '../src/shared/sweep'
import { createCore } from '../src/main/core/core'
import { writeDigitsFolder } from '../src/main/core/datasets/sample-data'

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
    const results: Record<string, { seconds: number; best: number; pruned: number }> = {}
    for (const [label, pruning] of [
      ['asha', { rule: 'asha', minEpochs: 1, reductionFactor: 3 }],
      ['none', { rule: 'none' }],
    ] as Array<[string, PruningRule]>) {
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
        }),
      )
      const done = await core.sweeps.whenDone(started.id)
      const seconds = (Date.now() - t0) / 1000
      results[label] = { seconds, best: done.best?.objective ?? NaN, pruned: done.counts.pruned }
      console.log(
        `${label === 'asha' ? 'with successive halving' : 'without pruning'}: ${done.counts.completed} completed, ${done.counts.pruned} pruned in ${seconds.toFixed(1)} s; best val accuracy ${((done.best?.objective ?? NaN) * 100).toFixed(2)} % (trial ${done.best?.number})`,
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
  } finally {
    await core.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

void main()
