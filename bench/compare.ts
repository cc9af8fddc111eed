/**
 * Compare benchmark: builds 20 runs with 10,000 metric points each in a real database and times the two
 * queries the Runs page makes — the runs table and the comparison (settings diff, the chosen metric's
 * curves, evaluations). Goal: < 100 ms. Run: npm run bench:compare
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { referenceCnn } from '../src/shared/model/reference-cnn'
import { hyperparametersSchema, type RunComparison } from '../src/shared/training'
import { createCore } from '../src/main/core/core'
import { openDatabase } from '../src/main/core/store/database'

const runCount = 20
const points = 10_000

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modelbench-bench-compare-'))
  try {
    // The schema and a project, dataset and version to hang the runs on.
    const setup = createCore({ dataDir: dir, shell: 'server', version: 'bench' })
    const project = await setup.call('projects.create', { name: 'bench' })
    if (!project.ok) throw new Error(project.error.message)
    const projectId = (project.value as { id: string }).id
    await setup.close()
    const db = openDatabase(dir)
    const t = Date.now()
    db.prepare(
      "INSERT INTO datasets (id, project_id, kind, created_at, updated_at) VALUES ('d', ?, 'image', ?, ?)",
    ).run(projectId, t, t)
    db.prepare(
      `INSERT INTO dataset_versions (id, dataset_id, number, hash, class_names, counts_json, sample_count, created_at)
                VALUES ('v', 'd', 1, 'h', ?, '{"train":8000,"validation":1000,"test":1000}', 10000, ?)`,
    ).run(JSON.stringify([...'0123456789']), t)
    const runIds: string[] = []
    const insertRun =
      db.prepare(`INSERT INTO runs (id, project_id, dataset_version_id, name, spec_json, hyperparameters_json, seed, status, created_at)
                                  VALUES (?, ?, 'v', ?, ?, ?, ?, 'completed', ?)`)
    const insertMetric = db.prepare(
      'INSERT INTO metrics (run_id, key, step, epoch, value, is_nan, wall_time) VALUES (?, ?, ?, ?, ?, 0, ?)',
    )
    const insertLatest = db.prepare(
      'INSERT INTO latest_metrics (run_id, key, step, epoch, value, is_nan, wall_time) VALUES (?, ?, ?, ?, ?, 0, ?)',
    )
    const insertEval = db.prepare(
      "INSERT INTO evaluations (run_id, split, metrics_json, created_at) VALUES (?, 'test', ?, ?)",
    )
    const keys = ['batch/loss', 'batch/accuracy', 'loss', 'val_loss']
    db.transaction(() => {
      for (let r = 0; r < runCount; r++) {
        const id = randomUUID()
        runIds.push(id)
        const hp = hyperparametersSchema.parse({
          learningRate: 0.001 * (1 + (r % 4)),
          batchSize: 32 * (1 + (r % 2)),
          epochs: 10,
        })
        insertRun.run(id, projectId, `Run ${r + 1}`, JSON.stringify(referenceCnn), JSON.stringify(hp), r, t + r)
        // 10,000 points per run, spread over the keys the training screen records.
        for (let i = 0; i < points; i++)
          insertMetric.run(
            id,
            keys[i % keys.length],
            Math.floor(i / keys.length),
            Math.floor(i / 1000),
            Math.random(),
            t + i,
          )
        for (const k of keys) insertLatest.run(id, k, points / keys.length - 1, 9, Math.random(), t)
        const confusion = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? 95 : 1)))
        insertEval.run(
          id,
          JSON.stringify({
            kind: 'classification',
            count: 1000,
            accuracy: 0.95,
            loss: 0.2,
            classes: [],
            macro: { precision: 0.95, recall: 0.95, f1: 0.95 },
            confusion,
            roc: null,
          }),
          t,
        )
      }
    })()
    db.close()

    const core = createCore({ dataDir: dir, shell: 'server', version: 'bench' })
    const time = async (fn: () => Promise<unknown>): Promise<number> => {
      const runs: number[] = []
      for (let i = 0; i < 7; i++) {
        const s = process.hrtime.bigint()
        const r = (await fn()) as { ok: boolean; error?: { message: string } }
        if (!r.ok) throw new Error(r.error!.message)
        runs.push(Number(process.hrtime.bigint() - s) / 1e6)
      }
      return median(runs)
    }
    const table = await time(() => core.call('runs.list', { projectId, limit: 100 }))
    const cmp = await time(() => core.call('runs.compare', { runIds, metric: 'batch/loss' }))
    const check = (await core.call('runs.compare', { runIds, metric: 'batch/loss' })) as {
      ok: true
      value: RunComparison
    }
    console.log(`runs table: ${table.toFixed(1)} ms for ${runCount} runs (median of 7)`)
    console.log(
      `compare: differing settings ${JSON.stringify(check.value.differing)}, ${check.value.curves[0]!.length} points per curve`,
    )
    await core.close()
    console.log(`compare: ${cmp.toFixed(1)} ms for ${runCount} runs x ${points} points`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
