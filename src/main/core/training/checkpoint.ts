/**
 * Checkpoints: after each epoch the model's weights, the optimizer's state and the loop's own state
 * (best metric so far, epochs without improvement) are written to `<dir>/epoch-<n>/`, each file hashed,
 * so an interrupted run can continue from the last complete epoch.
 */
import { createHash } from 'node:crypto'
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
}

interface TensorEntry {
  name: string
  shape: number[]
  dtype: 'float32' | 'int32'
  offset: number
  length: number
}

function pack(tensors: Array<{ name: string; tensor: tf.Tensor }>): { entries: TensorEntry[]; data: Buffer } {
  const entries: TensorEntry[] = []
  const parts: Buffer[] = []
  let offset = 0
  for (const { name, tensor } of tensors) {
    // Stored as float32 (exact for int32 counters such as the optimizer's iteration count).
    const values = Float32Array.from(tensor.dataSync())
    entries.push({ name, shape: tensor.shape, dtype: tensor.dtype === 'int32' ? 'int32' : 'float32', offset, length: values.length })
    parts.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength))
    offset += values.length
  }
  return { entries, data: Buffer.concat(parts) }
}

function unpack(entries: TensorEntry[], data: Buffer): Array<{ name: string; tensor: tf.Tensor }> {
  const all = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
  return entries.map((e) => ({ name: e.name, tensor: tf.tensor(e.dtype === 'int32' ? Int32Array.from(all.subarray(e.offset, e.offset + e.length)) : all.subarray(e.offset, e.offset + e.length), e.shape, e.dtype) }))
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
  const weights = pack(model.weights.map((w, i) => ({ name: `${i}:${w.originalName}`, tensor: w.read() })))
  const optimizerWeights = await optimizer.getWeights()
  const opt = pack(optimizerWeights)
  const files = [
    await writeHashed(join(tmp, 'weights.bin'), weights.data),
    await writeHashed(join(tmp, 'optimizer.bin'), opt.data),
    await writeHashed(join(tmp, 'checkpoint.json'), JSON.stringify({ weights: weights.entries, optimizer: opt.entries, state }, null, 1)),
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
  const meta = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as { weights: TensorEntry[]; state: LoopState }
  const weights = unpack(meta.weights, await readFile(join(dir, 'weights.bin')))
  if (weights.length !== model.weights.length) throw new Error(`the checkpoint in ${dir} has ${weights.length} weights; the model has ${model.weights.length}`)
  model.setWeights(weights.map((w) => w.tensor))
  tf.dispose(weights.map((w) => w.tensor))
  return meta.state
}

export async function loadCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<LoopState> {
  const meta = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as { weights: TensorEntry[]; optimizer: TensorEntry[]; state: LoopState }
  const weights = unpack(meta.weights, await readFile(join(dir, 'weights.bin')))
  if (weights.length !== model.weights.length) throw new Error(`the checkpoint in ${dir} has ${weights.length} weights; the model has ${model.weights.length}`)
  model.setWeights(weights.map((w) => w.tensor))
  tf.dispose(weights.map((w) => w.tensor))
  const opt = unpack(meta.optimizer, await readFile(join(dir, 'optimizer.bin')))
  if (opt.length > 0) await optimizer.setWeights(opt)
  return meta.state
}
