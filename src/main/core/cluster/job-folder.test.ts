import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../test-support/temp-dir'
import type { TrainJob } from '../training/protocol'
import {
  jobFiles,
  lastCheckpoint,
  readControl,
  readJob,
  readMessages,
  writeControl,
  writeJobFolder,
} from './job-folder'
import { Slurm, sbatchOptions, type CommandRunner } from './slurm'

const tempDir = useTempDirs()

function tableJob(dir: string): TrainJob {
  return {
    runId: 'r1',
    spec: { inputShape: [2], layers: [] },
    hyperparameters: {} as TrainJob['hyperparameters'],
    seed: 3,
    task: 'classification',
    classNames: ['a', 'b'],
    data: {
      kind: 'table',
      features: Float32Array.from([1, 2, 3, 4]),
      featureCount: 2,
      targets: Float32Array.from([0, 1]),
      sampleIds: [7, 8],
      splits: ['train', 'test'],
    },
    checkpointDir: join(dir, 'local-checkpoints'),
    resume: null,
    engine: 'wasm',
  }
}

describe('the job folder', () => {
  it('carries a table job whole, its checkpoints inside the folder', () => {
    const dir = tempDir()
    const job = tableJob(dir)
    writeJobFolder(join(dir, 'job'), job)
    const back = readJob(join(dir, 'job'))
    expect(back).toMatchObject({ runId: 'r1', seed: 3, engine: 'wasm', checkpointDir: join(dir, 'job', 'checkpoints') })
    expect(back.data).toEqual(job.data)
  })

  it('copies an image job’s pixel cache and the checkpoint a resumed run starts from', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'p.u8'), Buffer.from([1, 2, 3]))
    writeFileSync(join(dir, 'p.json'), '{"count":1}')
    mkdirSync(join(dir, 'epoch-0002'))
    writeFileSync(join(dir, 'epoch-0002', 'weights.bin'), 'w')
    const job: TrainJob = {
      ...tableJob(dir),
      data: { kind: 'image', cacheData: join(dir, 'p.u8'), cacheMeta: join(dir, 'p.json') },
      resume: { epoch: 2, dir: join(dir, 'epoch-0002') },
    }
    const folder = join(dir, 'job')
    const back = writeJobFolder(folder, job)
    expect(back.data).toMatchObject({ cacheData: join(folder, 'pixels.u8'), cacheMeta: join(folder, 'pixels.json') })
    expect(readFileSync(join(folder, 'pixels.u8'))).toEqual(Buffer.from([1, 2, 3]))
    expect(back.resume).toEqual({ epoch: 2, dir: join(folder, 'checkpoints', 'resume-epoch-0002') })
    expect(readFileSync(join(back.resume!.dir, 'weights.bin'), 'utf8')).toBe('w')
  })

  it('reads messages up to the last complete line, and finds the last checkpoint reported', () => {
    const dir = tempDir()
    const path = join(dir, jobFiles.messages)
    mkdirSync(join(dir, 'epoch-0001'))
    const epoch = { type: 'epochEnded', epoch: 1, step: 3, metrics: {}, samplesPerSecond: 1, seconds: 1 }
    appendFileSync(path, `${JSON.stringify({ type: 'heartbeat' })}\n`)
    appendFileSync(path, `${JSON.stringify({ ...epoch, checkpoint: { dir: join(dir, 'epoch-0001'), files: [] } })}\n`)
    appendFileSync(path, '{"type":"batchEn')
    const first = readMessages(dir, 0)
    expect(first.messages.map((m) => m.type)).toEqual(['heartbeat', 'epochEnded'])
    // The half-written line is read once it is whole.
    expect(readMessages(dir, first.offset).messages).toEqual([])
    appendFileSync(path, 'ded"}\n')
    expect(readMessages(dir, first.offset).messages.map((m) => m.type)).toEqual(['batchEnded'])
    expect(lastCheckpoint(dir)).toEqual({ epoch: 1, dir: join(dir, 'epoch-0001') })
  })

  it('keeps stop and pause requests in control.json', () => {
    const dir = tempDir()
    expect(readControl(dir)).toEqual({ stop: false, pause: false })
    writeControl(dir, { stop: true, pause: false })
    expect(readControl(dir)).toEqual({ stop: true, pause: false })
  })
})

describe('Slurm’s commands', () => {
  /** A runner that answers from a table and records what was run. */
  function fake(answers: Record<string, { code: number; stdout: string }>): CommandRunner & { ran: string[][] } {
    const ran: string[][] = []
    const run = (async (argv: string[]) => {
      ran.push(argv)
      const key = Object.keys(answers).find((k) => argv.join(' ').includes(k))
      return { ...(key ? answers[key]! : { code: 1, stdout: '' }), stderr: '' }
    }) as CommandRunner & { ran: string[][] }
    run.ran = ran
    return run
  }

  it('reads a job’s state from squeue, then scontrol, then sacct', async () => {
    const queued = new Slurm(
      { access: { kind: 'local' } },
      fake({ squeue: { code: 0, stdout: 'PENDING|Priority|\n' } }),
    )
    expect(await queued.state('5')).toEqual({ state: 'PENDING', reason: 'Priority', node: null, exitCode: null })
    const ended = new Slurm(
      { access: { kind: 'local' } },
      fake({
        squeue: { code: 0, stdout: '' },
        scontrol: { code: 0, stdout: 'JobId=5 JobState=TIMEOUT Reason=TimeLimit NodeList=node7 ExitCode=0:15' },
      }),
    )
    expect(await ended.state('5')).toEqual({ state: 'TIMEOUT', reason: 'TimeLimit', node: 'node7', exitCode: '0:15' })
    const accounted = new Slurm(
      { access: { kind: 'local' } },
      fake({ squeue: { code: 1, stdout: '' }, sacct: { code: 0, stdout: 'CANCELLED by 1000|None|node2|0:0\n' } }),
    )
    expect(await accounted.state('5')).toEqual({ state: 'CANCELLED', reason: null, node: 'node2', exitCode: '0:0' })
    const unknown = new Slurm({ access: { kind: 'local' } }, fake({}))
    expect(await unknown.state('5')).toBeNull()
  })

  it('goes through ssh to a login node, quoting for its shell, and says why sbatch refused', async () => {
    const run = fake({ sbatch: { code: 1, stdout: 'sbatch: error: invalid partition specified: gpu' } })
    const slurm = new Slurm({ access: { kind: 'ssh', host: 'me@login' } }, run)
    await expect(slurm.submit("/shared/a b/job's.sbatch")).rejects.toThrow(
      'sbatch failed: sbatch: error: invalid partition specified: gpu',
    )
    expect(run.ran[0]).toEqual([
      'ssh',
      '-o',
      'BatchMode=yes',
      'me@login',
      "sbatch --parsable '/shared/a b/job'\\''s.sbatch'",
    ])
  })

  it('asks for what the profile says', () => {
    expect(
      sbatchOptions(
        {
          name: 'x',
          access: { kind: 'local' },
          partition: 'gpu',
          account: 'lab',
          qos: 'short',
          timeLimitMinutes: 30,
          cpus: 4,
          memoryGiB: 16,
          gpus: 1,
          gpuFlag: 'gres',
          sharedDir: '/s',
          command: 'modelbench',
        },
        'modelbench-1',
        '/s/log',
      ),
    ).toEqual([
      '#SBATCH --job-name=modelbench-1',
      '#SBATCH --output=/s/log',
      '#SBATCH --open-mode=append',
      '#SBATCH --requeue',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=lab',
      '#SBATCH --qos=short',
      '#SBATCH --time=30',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=16G',
      '#SBATCH --gres=gpu:1',
    ])
  })
})
