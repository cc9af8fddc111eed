/**
 * `modelbench worker --job <folder>`: trains one run from a self-contained job folder with the same
 * trainer as the app, on a cluster node. It appends every message a local trainer would send to the
 * folder's messages file, honours stop and pause requests (control.json, read between batches), and
 * writes status.json when it ends. Started again in the same folder (Slurm requeued it after a time limit
 * or a node failure), it resumes from the last checkpoint it reported. It never opens the app's database.
 */
import { appendFileSync, existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { messageOf } from '../../../shared/messages'
import { runTraining, type TrainerControl, type TrainingOptions } from '../training/trainer'
import type { FromTrainer } from '../training/protocol'
import { jobFiles, lastCheckpoint, readControl, readJob, readStatus, writeStatus } from './job-folder'

/** Trains the job in `dir`; resolves with the process exit code (0 when it completed or was stopped). */
export async function runWorker(dir: string, options: TrainingOptions & { pollMs?: number } = {}): Promise<number> {
  if (!existsSync(join(dir, jobFiles.job)))
    throw new Error(`${dir} is not a ModelBench job folder (no ${jobFiles.job})`)
  const done = readStatus(dir)
  if (done) {
    // Requeued after it had finished: nothing to do again.
    console.log(`modelbench worker: this job already ended (${done.state}: ${done.message})`)
    return done.state === 'failed' ? 1 : 0
  }
  const job = readJob(dir)
  // Its own last checkpoint (a requeued job), else the one it was sent with (a resumed run).
  const resume = lastCheckpoint(dir) ?? job.resume
  console.log(
    `modelbench worker: run ${job.runId} on ${hostname()}${process.env.SLURM_JOB_ID ? `, Slurm job ${process.env.SLURM_JOB_ID}` : ''}, ` +
      (resume ? `resuming after epoch ${resume.epoch}` : 'from the start') +
      `, engine ${job.engine ?? 'automatic'}`,
  )
  const messages = join(dir, jobFiles.messages)
  const post = (m: FromTrainer): void => appendFileSync(messages, `${JSON.stringify(m)}\n`)
  let wake: (() => void) | null = null
  const control: TrainerControl = {
    paused: false,
    stopped: false,
    wait: () => new Promise<void>((resolve) => (wake = resolve)),
  }
  // Stop and pause requests arrive as a file the app writes; read it a few times a second.
  const poll = setInterval(() => {
    const c = readControl(dir)
    const changed = c.stop !== control.stopped || c.pause !== control.paused
    control.stopped = c.stop
    control.paused = c.pause && !c.stop
    if (changed && wake) {
      const w = wake
      wake = null
      w()
    }
  }, options.pollMs ?? 200)
  const heartbeat = setInterval(() => post({ type: 'heartbeat' }), 2000)
  let outcome: { state: 'completed' | 'stopped' | 'failed'; message: string } = {
    state: 'failed',
    message: 'the worker ended without a result',
  }
  try {
    await runTraining(
      { ...job, resume },
      control,
      (m) => {
        post(m)
        if (m.type === 'finished') outcome = { state: m.status, message: m.reason }
        if (m.type === 'failed') outcome = { state: 'failed', message: m.message }
      },
      options,
    )
  } catch (err) {
    outcome = { state: 'failed', message: messageOf(err) }
    post({ type: 'failed', message: outcome.message })
  } finally {
    clearInterval(poll)
    clearInterval(heartbeat)
  }
  writeStatus(dir, { ...outcome, at: Date.now(), node: hostname() })
  console.log(`modelbench worker: ${outcome.state} (${outcome.message})`)
  return outcome.state === 'failed' ? 1 : 0
}
