/**
 * Checkpoints: after each epoch the model's weights, the optimizer's state and the loop's own state
 * (best metric so far, epochs without improvement) are written to `<dir>/epoch-<n>/`, each file hashed,
 * so an interrupted run can continue from the last complete epoch.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { CheckpointFile } from './protocol'

export interface LoopState {
  epoch: number
  step: number
  best: number | null
  bestEpoch: number
  epochsWithoutImprovement: number
  /** How pixels were prepared (per-channel mean and deviation when standardised), for predicting later. */
  normalization?: { mean: number[]; std: number[] } | null
  /** The epoch's figures, as posted with it: a checkpoint on disk that the app never recorded can still count. */
  epochReport?: EpochReport
}

export interface EpochReport {
  metrics: Record<string, number>
  samplesPerSecond: number
  seconds: number
}

export interface FoundCheckpoint {
  epoch: number
  step: number
  report: EpochReport
  files: CheckpointFile[]
}

interface TensorEntry {
  name: string
  shape: number[]
  dtype: 'float32' | 'int32'
  offset: number
  length: number
}

async function pack(
  tensors: Array<{ name: string; tensor: tf.Tensor }>,
): Promise<{ entries: TensorEntry[]; data: Buffer }> {
  const entries: TensorEntry[] = []
  const parts: Buffer[] = []
  let offset = 0
  for (const { name, tensor } of tensors) {
    // Stored as float32 (exact for int32 counters such as the optimizer's iteration count).
    const values = Float32Array.from(await tensor.data())
    entries.push({
      name,
      shape: tensor.shape,
      dtype: tensor.dtype === 'int32' ? 'int32' : 'float32',
      offset,
      length: values.length,
    })
    parts.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength))
    offset += values.length
  }
  return { entries, data: Buffer.concat(parts) }
}

function unpack(entries: TensorEntry[], data: Buffer): Array<{ name: string; tensor: tf.Tensor }> {
  const all = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
  return entries.map((e) => ({
    name: e.name,
    tensor: tf.tensor(
      e.dtype === 'int32'
        ? Int32Array.from(all.subarray(e.offset, e.offset + e.length))
        : all.subarray(e.offset, e.offset + e.length),
      e.shape,
      e.dtype,
    ),
  }))
}

/**
 * Adam's running products beta1^t and beta2^t are not among its weights: setWeights recomputes them with
 * pow, which differs from the step-by-step product in the last float32 bits, so a resumed run drifted
 * from the uninterrupted one after a few epochs. Kept in the checkpoint under names of their own.
 */
function runningProducts(optimizer: tf.Optimizer): Array<{ name: string; tensor: tf.Tensor }> {
  const o = optimizer as unknown as Record<string, unknown>
  return ['accBeta1', 'accBeta2']
    .filter((k) => o[k] instanceof tf.Variable)
    .map((k) => ({ name: `modelbench:${k}`, tensor: o[k] as tf.Variable }))
}

async function writeHashed(path: string, data: Buffer | string): Promise<CheckpointFile> {
  await writeFile(path, data)
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length
  return { path, sha256: createHash('sha256').update(data).digest('hex'), bytes }
}

export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: LoopState,
  name = `epoch-${state.epoch}`,
): Promise<{ dir: string; files: CheckpointFile[] }> {
  const final = join(dir, name)
  const tmp = `${final}.partial`
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp, { recursive: true })
  const weights = await pack(model.weights.map((w, i) => ({ name: `${i}:${w.originalName}`, tensor: w.read() })))
  const optimizerWeights = await optimizer.getWeights()
  const opt = await pack([...optimizerWeights, ...runningProducts(optimizer)])
  const files = [
    await writeHashed(join(tmp, 'weights.bin'), weights.data),
    await writeHashed(join(tmp, 'optimizer.bin'), opt.data),
    await writeHashed(
      join(tmp, 'checkpoint.json'),
      JSON.stringify({ weights: weights.entries, optimizer: opt.entries, state }, null, 1),
    ),
  ]
  // getWeights hands out the optimizer's live variables; only the iteration counter is a fresh tensor.
  tf.dispose(optimizerWeights.filter((w) => w.name === 'iter').map((w) => w.tensor))
  // Renamed into place only when complete: a crash mid-save leaves the previous epoch as the latest.
  await rm(final, { recursive: true, force: true })
  await rename(tmp, final)
  return { dir: final, files: files.map((f) => ({ ...f, path: f.path.replace(tmp, final) })) }
}

/** Loads only the model's weights (for predicting); returns the saved loop state. */
export async function loadWeights(dir: string, model: tf.LayersModel): Promise<LoopState> {
  const meta = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as {
    weights: TensorEntry[]
    state: LoopState
  }
  const weights = unpack(meta.weights, await readFile(join(dir, 'weights.bin')))
  if (weights.length !== model.weights.length)
    throw new Error(`the checkpoint in ${dir} has ${weights.length} weights; the model has ${model.weights.length}`)
  model.setWeights(weights.map((w) => w.tensor))
  tf.dispose(weights.map((w) => w.tensor))
  return meta.state
}

export async function loadCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<LoopState> {
  const meta = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as {
    weights: TensorEntry[]
    optimizer: TensorEntry[]
    state: LoopState
  }
  const weights = unpack(meta.weights, await readFile(join(dir, 'weights.bin')))
  if (weights.length !== model.weights.length)
    throw new Error(`the checkpoint in ${dir} has ${weights.length} weights; the model has ${model.weights.length}`)
  model.setWeights(weights.map((w) => w.tensor))
  tf.dispose(weights.map((w) => w.tensor))
  const opt = unpack(meta.optimizer, await readFile(join(dir, 'optimizer.bin')))
  const products = new Map(runningProducts(optimizer).map((p) => [p.name, p.tensor as tf.Variable]))
  const saved = opt.filter((o) => products.has(o.name))
  if (opt.length > 0) await optimizer.setWeights(opt.filter((o) => !products.has(o.name)))
  // After setWeights, which recomputed them as pow(beta, iterations): the products exactly as they were.
  for (const o of saved) products.get(o.name)!.assign(o.tensor)
  tf.dispose(opt.map((o) => o.tensor))
  return meta.state
}

/**
 * Complete epoch checkpoints in `dir` after epoch `after` (renamed into place only when whole, so each
 * one found here reached the disk), oldest first, each file hashed again. One that cannot be read, or that
 * lacks its epoch's figures (written by an older ModelBench), ends the list: nothing after a gap counts.
 */
export function findCheckpointsAfter(dir: string, after: number): FoundCheckpoint[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const epochs = names
    .map((n) => /^epoch-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((e) => e > after)
    .sort((a, b) => a - b)
  const found: FoundCheckpoint[] = []
  for (const epoch of epochs) {
    if (epoch !== (found.at(-1)?.epoch ?? after) + 1) break
    const at = join(dir, `epoch-${epoch}`)
    try {
      const read = ['weights.bin', 'optimizer.bin', 'checkpoint.json'].map((name) => ({
        path: join(at, name),
        data: readFileSync(join(at, name)),
      }))
      const files = read.map(({ path, data }) => ({
        path,
        sha256: createHash('sha256').update(data).digest('hex'),
        bytes: data.length,
      }))
      const { state } = JSON.parse(read[2]!.data.toString('utf8')) as { state: LoopState }
      if (!state.epochReport || state.epoch !== epoch) break
      found.push({ epoch, step: state.step, report: state.epochReport, files })
    } catch {
      break
    }
  }
  return found
}
