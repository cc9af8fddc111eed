/**
 * A run's trainer on a Slurm cluster, seen by the training service exactly as a local trainer process
 * (a TrainerChild): `start` writes the job folder and submits it with sbatch; the worker's messages are
 * read from the folder and passed on as if the trainer had sent them (its checkpoints copied into the data
 * directory first, so the run's records stay whole there); `stop` and `pause` are requests in the folder
 * (scancel when a stop is not honoured in time, or at once while the job still waits in the queue). A job
 * Slurm ended for a time limit, a node failure or preemption is submitted again and resumes from its last
 * checkpoint; any other end without the worker's own status is reported with Slurm's state and reason.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { ClusterJobInfo, ClusterProfile } from '../../../shared/cluster'
import type { TrainerChild } from '../training/launcher'
import type { FromTrainer, ToTrainer, TrainJob } from '../training/protocol'
import { jobFiles, readMessages, readStatus, writeControl, writeJobFolder } from './job-folder'
import { requeueStates, sbatchOptions, terminalStates, type Slurm } from './slurm'

export interface SlurmChildOptions {
  profileId: string
  profile: ClusterProfile
  slurm: Slurm
  /** Called whenever what is known of the job changes (recorded with the run, shown on its page). */
  onJob: (info: ClusterJobInfo & { offset: number }) => void
  pollMs?: number
  /** How long a stop request may go unanswered before the job is cancelled. */
  stopGraceMs?: number
  /** Times a job is submitted again after a time limit, node failure or preemption. */
  maxAttempts?: number
}

/** A job already submitted (found again after the app restarted), to follow from where it was read to. */
export interface KnownJob {
  info: ClusterJobInfo
  offset: number
  /** Where the app keeps the run's checkpoints (the local job's checkpointDir). */
  checkpointDir: string
}

export function slurmChild(options: SlurmChildOptions, known?: KnownJob): TrainerChild {
  const pollMs = options.pollMs ?? 500
  const messageListeners: Array<(m: FromTrainer) => void> = []
  const exitListeners: Array<(code: number | null, signal: string | null) => void> = []
  let info: ClusterJobInfo | null = known?.info ?? null
  let offset = known?.offset ?? 0
  let checkpointDir = known?.checkpointDir ?? ''
  let timer: NodeJS.Timeout | null = null
  let lastStateCheck = 0
  let ended = false
  let stopAt: number | null = null
  let cancelled = false
  let paused = false

  const emit = (m: FromTrainer): void => messageListeners.forEach((l) => l(m))
  const record = (change: Partial<ClusterJobInfo>): void => {
    if (!info) return
    info = { ...info, ...change }
    options.onJob({ ...info, offset })
  }
  const exit = (code: number | null, signal: string | null): void => {
    if (ended) return
    ended = true
    if (timer) clearInterval(timer)
    exitListeners.forEach((l) => l(code, signal))
  }
  const fail = (message: string): void => {
    emit({ type: 'failed', message })
    exit(1, null)
  }

  /** A checkpoint the worker wrote, copied beside the app's own; the message then names the copy. */
  const localCheckpoint = (m: Extract<FromTrainer, { type: 'epochEnded' }>): FromTrainer => {
    const to = join(checkpointDir, basename(m.checkpoint.dir))
    cpSync(m.checkpoint.dir, to, { recursive: true })
    return {
      ...m,
      checkpoint: {
        dir: to,
        files: m.checkpoint.files.map((f) => ({ ...f, path: join(to, basename(f.path)) })),
      },
    }
  }

  const submit = async (): Promise<void> => {
    const jobId = await options.slurm.submit(join(info!.jobDir, jobFiles.script))
    record({ jobId, state: 'PENDING', reason: null, node: null, attempts: info!.attempts + 1 })
  }

  const readOnce = (): void => {
    if (!info) return
    const read = readMessages(info.jobDir, offset)
    for (const m of read.messages) {
      if (m.type === 'epochEnded') emit(localCheckpoint(m))
      else if (m.type === 'finished') {
        // The final weights, for predicting and exporting from the data directory.
        const final = join(info.jobDir, jobFiles.checkpoints, 'final')
        if (existsSync(final)) cpSync(final, join(checkpointDir, 'final'), { recursive: true })
        emit(m)
      } else emit(m)
    }
    if (read.offset !== offset) {
      offset = read.offset
      record({})
    }
  }

  const poll = async (): Promise<void> => {
    if (ended || !info) return
    readOnce()
    const status = readStatus(info.jobDir)
    if (status) {
      readOnce()
      // The worker exits 1 after a failure, which Slurm calls FAILED.
      record({
        state: status.state === 'failed' ? 'FAILED' : 'COMPLETED',
        reason: null,
        node: status.node ?? info.node,
      })
      exit(status.state === 'failed' ? 1 : 0, null)
      return
    }
    const now = Date.now()
    if (stopAt !== null && !cancelled && now >= stopAt && info.jobId) {
      cancelled = true
      await options.slurm.cancel(info.jobId).catch(() => undefined)
    }
    if (now - lastStateCheck < Math.max(2000, pollMs)) return
    lastStateCheck = now
    if (!info.jobId) return
    const state = await options.slurm.state(info.jobId)
    if (ended) return
    if (!state) {
      fail(`Slurm no longer knows job ${info.jobId}, and the worker left no result in ${info.jobDir}`)
      return
    }
    if (state.state !== info.state || state.reason !== info.reason || state.node !== info.node)
      record({ state: state.state, reason: state.reason, node: state.node ?? info.node })
    // Waiting in the queue or starting: the worker cannot say it is alive yet, so the queue says it for it.
    if (!terminalStates.has(state.state)) {
      if (state.state !== 'RUNNING' || paused) emit({ type: 'heartbeat' })
      return
    }
    // The worker may have finished its last lines just before Slurm's state changed.
    readOnce()
    if (readStatus(info.jobDir)) return
    if (cancelled || (stopAt !== null && state.state === 'CANCELLED')) {
      exit(0, null)
      return
    }
    const where = state.node ? ` on ${state.node}` : ''
    if (requeueStates.has(state.state) && info.attempts < (options.maxAttempts ?? 3)) {
      emit({ type: 'heartbeat' })
      try {
        await submit()
      } catch (err) {
        fail(`Slurm ended job ${info.jobId}${where} (${state.state}) and submitting it again failed: ${String(err)}`)
      }
      return
    }
    const why =
      state.state === 'CANCELLED'
        ? 'cancelled outside ModelBench (scancel or an administrator)'
        : state.state === 'TIMEOUT'
          ? 'it reached the time limit, and every resubmission did too'
          : (state.reason ?? `exit code ${state.exitCode ?? 'unknown'}`)
    fail(`Slurm ended job ${info.jobId}${where}: ${state.state} — ${why}. Its log: ${info.log}`)
  }

  // One poll at a time: a slow squeue must not let two polls resubmit the same ended job.
  let polling = false
  const follow = (): void => {
    timer = setInterval(() => {
      if (polling) return
      polling = true
      poll()
        .catch((err: unknown) => fail(`Following the Slurm job failed: ${String(err)}`))
        .finally(() => (polling = false))
    }, pollMs)
  }

  const start = async (job: TrainJob): Promise<void> => {
    checkpointDir = job.checkpointDir
    mkdirSync(checkpointDir, { recursive: true })
    // A run resumed after its job ended gets a new folder, starting from the app's own checkpoint.
    const base = join(options.profile.sharedDir, 'modelbench-jobs', job.runId)
    const jobDir = existsSync(base) ? `${base}-${Date.now()}` : base
    writeJobFolder(jobDir, job)
    info = {
      profileId: options.profileId,
      profileName: options.profile.name,
      jobId: null,
      state: null,
      reason: null,
      node: null,
      attempts: 0,
      jobDir,
      log: join(jobDir, jobFiles.log),
    }
    offset = 0
    writeControl(info.jobDir, { stop: false, pause: false })
    const script = [
      '#!/bin/bash',
      ...sbatchOptions(options.profile, `modelbench-${job.runId.slice(0, 8)}`, info.log),
      `# ModelBench run ${job.runId}: trains from this folder and reports into it.`,
      `${options.profile.command} worker --job ${JSON.stringify(info.jobDir)}`,
      '',
    ].join('\n')
    writeFileSync(join(info.jobDir, jobFiles.script), script, { mode: 0o755 })
    record({})
    await submit()
    follow()
  }

  if (known) follow()

  return {
    send(message: ToTrainer) {
      switch (message.type) {
        case 'start':
          start(message.job).catch((err: unknown) =>
            fail(`Submitting to Slurm failed: ${err instanceof Error ? err.message : String(err)}`),
          )
          return
        case 'stop':
          if (!info) return
          writeControl(info.jobDir, { stop: true, pause: false })
          stopAt = Date.now() + (options.stopGraceMs ?? 60_000)
          // Still waiting in the queue: nothing is training, cancel it now.
          if (info.state === 'PENDING') stopAt = Date.now()
          return
        case 'pause':
        case 'resume':
          if (!info) return
          paused = message.type === 'pause'
          writeControl(info.jobDir, { stop: false, pause: paused })
          return
        default:
          return
      }
    },
    detach() {
      ended = true
      if (timer) clearInterval(timer)
    },
    onMessage: (l) => void messageListeners.push(l),
    onExit: (l) => void exitListeners.push(l),
    kill() {
      if (info?.jobId && !ended) {
        cancelled = true
        void options.slurm.cancel(info.jobId).catch(() => undefined)
      }
      exit(null, 'SIGKILL')
    },
  }
}
