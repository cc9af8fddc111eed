import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { ImportInfo, Project } from '../../shared/contract'
import type { RunSummary } from '../../shared/training'
import { value } from '../test-support/result'
import { useTempDirs } from '../test-support/temp-dir'
import { createCore } from './core'
import { writeDigitsFolder } from './datasets/sample-data'
import { diskFullMessage } from './errors'
import { databaseFileName, openDatabase } from './store/database'
import { migrations } from './store/migrations'
import type { TrainerLauncher } from './training/launcher'
import type { FromTrainer } from './training/protocol'

const tempDir = useTempDirs()

/** A trainer that fails its job with `message`, as the real one reports an error it caught. */
function failingTrainer(message: string): TrainerLauncher {
  return () => {
    let onMessage: (m: FromTrainer) => void = () => undefined
    let onExit: (code: number | null, signal: string | null) => void = () => undefined
    return {
      send: (m) => {
        if (m.type !== 'start') return
        setTimeout(() => {
          onMessage({ type: 'failed', message })
          onExit(1, null)
        }, 10)
      },
      onMessage: (l) => (onMessage = l),
      onExit: (l) => (onExit = l),
      kill: () => onExit(null, 'SIGKILL'),
    }
  }
}

describe('faults', () => {
  it('leaves a run whose trainer ran out of disk interrupted with a plain reason, so it can be resumed', async () => {
    const dir = tempDir()
    const core = createCore({
      dataDir: join(dir, 'data'),
      shell: 'server',
      version: 't',
      trainer: failingTrainer(
        "ENOSPC: no space left on device, write '/data/runs/x/checkpoints/epoch-3.partial/weights.bin'",
      ),
    })
    const project = value<Project>(await core.call('projects.create', { name: 'Digits' }))
    await writeDigitsFolder(join(dir, 'digits'), 3)
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
        hyperparameters: { epochs: 1 },
        engine: 'wasm',
      }),
    )
    const ended = await core.training.whenDone(run.id)
    expect(ended).toMatchObject({ status: 'interrupted', statusReason: diskFullMessage })
    await core.close()
  })

  it('removes the duplicate metrics an older database recorded on resume, and none can be recorded again', () => {
    const dir = tempDir()
    const before = migrations.filter((m) => m.id < 10)
    const db = openDatabase(dir, { migrations: before })
    db.close()
    const raw = new Database(join(dir, databaseFileName))
    raw.pragma('foreign_keys = OFF')
    const insert = raw.prepare(
      'INSERT INTO metrics (run_id, key, step, epoch, value, is_nan, wall_time) VALUES (?, ?, ?, ?, ?, 0, ?)',
    )
    for (const [step, value] of [
      [1, 0.5],
      [2, 0.4],
      [2, 0.4],
      [3, 0.3],
      [2, 0.4],
      [3, 0.3],
    ] as const)
      insert.run('r', 'batch/loss', step, 1, value, step)
    raw.close()
    const upgraded = openDatabase(dir)
    expect(upgraded.prepare("SELECT step FROM metrics WHERE run_id = 'r' ORDER BY step").all()).toEqual([
      { step: 1 },
      { step: 2 },
      { step: 3 },
    ])
    expect(() =>
      upgraded
        .prepare(
          "INSERT INTO metrics (run_id, key, step, epoch, value, is_nan, wall_time) VALUES ('r', 'batch/loss', 2, 1, 0.4, 0, 0)",
        )
        .run(),
    ).toThrow(/UNIQUE/)
    upgraded.close()
  })
})
