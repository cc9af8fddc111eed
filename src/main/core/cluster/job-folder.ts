/**
 * A cluster job's folder, in the folder both the app and the nodes see: everything one run needs to train
 * (the job — model spec, hyperparameters, seed, engine — and its data: the dataset version's pixel cache
 * or encoded table), and everything the worker reports, as append-only files: `messages.jsonl` (the same
 * messages a local trainer sends, one JSON line each), checkpoints, Slurm's log, and `status.json` when it
 * ends. The app writes only `job.json`, the data and `control.json` (stop or pause requests); the worker
 * never touches the app's database.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { FromTrainer, TrainJob } from '../training/protocol'

export const jobFiles = {
  job: 'job.json',
  messages: 'messages.jsonl',
  control: 'control.json',
  status: 'status.json',
  script: 'job.sbatch',
  log: 'slurm.log',
  checkpoints: 'checkpoints',
  features: 'features.f32',
  targets: 'targets.f32',
} as const

export interface WorkerStatus {
  state: 'completed' | 'stopped' | 'failed'
  message: string
  at: number
  /** The node it ran on (a short job can end before the app sees Slurm call it running). */
  node?: string
}

export interface JobControl {
  stop: boolean
  pause: boolean
  /** Why it is stopped, when not by the user (a sweep's pruning rule). */
  reason?: string
}

/** The stored job: a TrainJob whose table data lives in files beside it. */
type StoredJob = Omit<TrainJob, 'data'> & {
  data:
    | Exclude<TrainJob['data'], { kind: 'table' }>
    | (Omit<Extract<TrainJob['data'], { kind: 'table' }>, 'features' | 'targets'> & { files: true })
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text)
  renameSync(`${path}.tmp`, path)
}

/**
 * Writes the job folder for a run: the data copied in (the shared folder may be the only one a node sees),
 * the checkpoints pointed inside it. Returns the job as the worker will run it.
 */
export function writeJobFolder(dir: string, job: TrainJob): TrainJob {
  mkdirSync(join(dir, jobFiles.checkpoints), { recursive: true })
  let data: StoredJob['data']
  if (job.data.kind === 'image') {
    const cacheData = join(dir, 'pixels.u8')
    const cacheMeta = join(dir, 'pixels.json')
    copyFileSync(job.data.cacheData, cacheData)
    copyFileSync(job.data.cacheMeta, cacheMeta)
    data = {
      ...job.data,
      cacheData,
      cacheMeta,
      ...(job.data.featureDir ? { featureDir: join(dir, 'features') } : {}),
    }
  } else {
    const { features, targets, ...rest } = job.data
    writeFileSync(join(dir, jobFiles.features), Buffer.from(features.buffer, features.byteOffset, features.byteLength))
    writeFileSync(join(dir, jobFiles.targets), Buffer.from(targets.buffer, targets.byteOffset, targets.byteLength))
    data = { ...rest, files: true }
  }
  // Resumed from the app's checkpoint: a copy of it travels in the folder.
  let resume: TrainJob['resume'] = null
  if (job.resume) {
    const to = join(dir, jobFiles.checkpoints, `resume-${basename(job.resume.dir)}`)
    cpSync(job.resume.dir, to, { recursive: true })
    resume = { epoch: job.resume.epoch, dir: to }
  }
  const stored: StoredJob = { ...job, data, checkpointDir: join(dir, jobFiles.checkpoints), resume }
  writeAtomic(join(dir, jobFiles.job), JSON.stringify(stored))
  return readJob(dir)
}

/** The job as the worker runs it (table data read back from its files). */
export function readJob(dir: string): TrainJob {
  const stored = JSON.parse(readFileSync(join(dir, jobFiles.job), 'utf8')) as StoredJob
  if (stored.data.kind === 'image') return stored as TrainJob
  const { files: _files, ...rest } = stored.data
  const floats = (name: string): Float32Array => {
    const b = readFileSync(join(dir, name))
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
  }
  return { ...stored, data: { ...rest, features: floats(jobFiles.features), targets: floats(jobFiles.targets) } }
}

export function readControl(dir: string): JobControl {
  try {
    return JSON.parse(readFileSync(join(dir, jobFiles.control), 'utf8')) as JobControl
  } catch {
    return { stop: false, pause: false }
  }
}

export function writeControl(dir: string, control: JobControl): void {
  writeAtomic(join(dir, jobFiles.control), JSON.stringify(control))
}

export function readStatus(dir: string): WorkerStatus | null {
  const path = join(dir, jobFiles.status)
  if (!existsSync(path)) return null
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as WorkerStatus
  } catch {
    return null
  }
}

export function writeStatus(dir: string, status: WorkerStatus): void {
  writeAtomic(join(dir, jobFiles.status), JSON.stringify(status))
}

/**
 * Reads the messages file from a byte offset: the complete lines after it, and the offset after the last
 * complete one (a line the worker is still writing is read next time).
 */
export function readMessages(dir: string, offset: number): { messages: FromTrainer[]; offset: number } {
  const path = join(dir, jobFiles.messages)
  if (!existsSync(path)) return { messages: [], offset }
  const all = readFileSync(path)
  if (all.length <= offset) return { messages: [], offset }
  const chunk = all.subarray(offset)
  const end = chunk.lastIndexOf(0x0a)
  if (end < 0) return { messages: [], offset }
  const messages = chunk
    .subarray(0, end)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as FromTrainer)
  return { messages, offset: offset + end + 1 }
}

/** The last checkpoint the worker reported (the one a requeued job resumes from). */
export function lastCheckpoint(dir: string): { epoch: number; dir: string } | null {
  let last: { epoch: number; dir: string } | null = null
  for (const m of readMessages(dir, 0).messages)
    if (m.type === 'epochEnded' && existsSync(m.checkpoint.dir)) last = { epoch: m.epoch, dir: m.checkpoint.dir }
  return last
}
