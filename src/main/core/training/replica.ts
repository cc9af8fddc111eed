/**
 * Data-parallel training on the wasm engine. tfjs' wasm backend runs on one thread under Node, so a
 * machine with more cores trains a batch in parts: the trainer takes the first part and each replica —
 * a worker thread with its own wasm backend and a copy of the model — takes one of the others. A replica
 * receives the current weights and its rows, and returns its loss, its correct count and its gradients;
 * the trainer averages the gradients weighted by rows (the whole batch's mean gradient, up to rounding)
 * and takes one optimizer step. Every part draws its dropout masks from the batch's seed and its own
 * index, so a run is as reproducible as on one thread.
 *
 * This module is both sides: `startReplica` on the trainer's side, `serveReplica` in the worker.
 */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import type { ModelSpec } from '../../../shared/model/types'
import { buildModel } from './build-model'
import { selectEngine } from './engine'
import { correctCount, lossOf, SeededDropout, type LossKind } from './step-parts'

export interface ReplicaInit {
  spec: ModelSpec
  kind: LossKind
  /** The part's index (1, 2, …): it separates the part's dropout masks from the others'. */
  part: number
}

export interface ReplicaStep {
  /** The trainable weights in the model's order. */
  weights: Float32Array[]
  x: Float32Array
  xShape: number[]
  y: Float32Array
  yShape: number[]
  seed: number
}

export interface ReplicaResult {
  loss: number
  correct: number
  /** Gradients of the part's mean loss, in the order of the weights. */
  grads: Float32Array[]
}

type FromReplica = { type: 'ready' } | ({ type: 'result' } & ReplicaResult) | { type: 'error'; message: string }

export interface Replica {
  step(input: ReplicaStep): Promise<ReplicaResult>
  close(): Promise<void>
}

/**
 * How many threads a run trains on: one per core, at most four, and at least four rows per part.
 * MODELBENCH_TRAIN_THREADS overrides the core count (1 trains on one thread).
 */
export function trainingThreads(batchSize: number, cores = availableParallelism()): number {
  const wanted = Number(process.env.MODELBENCH_TRAIN_THREADS ?? cores)
  const threads = Math.min(Number.isInteger(wanted) && wanted >= 1 ? wanted : cores, 4, Math.floor(batchSize / 4))
  return Math.max(1, threads)
}

/**
 * A TypeScript entry (development, tests, benchmarks) runs through tsx, as the trainer does under tsx.
 * A worker ignores `--import` in its execArgv on Node 20, so a small script registers tsx first.
 */
function typeScriptWorker(entry: string, init: ReplicaInit): Worker {
  // tsx's ESM API (its `import` build, beside the loader `--import tsx` runs) registers its hooks here.
  const tsxApi = join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'api', 'index.mjs')
  const code = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}) })`
  return new Worker(code, { eval: true, workerData: init })
}

/** Starts a replica thread and resolves once its model is built. */
export function startReplica(entry: string, init: ReplicaInit): Promise<Replica> {
  const worker = entry.endsWith('.ts') ? typeScriptWorker(entry, init) : new Worker(entry, { workerData: init })
  let waiting: { resolve: (r: ReplicaResult) => void; reject: (e: Error) => void } | null = null
  let failure: Error | null = null
  const fail = (err: Error): void => {
    failure ??= err
    waiting?.reject(failure)
    waiting = null
  }
  return new Promise((resolveStart, rejectStart) => {
    worker.on('message', (m: FromReplica) => {
      if (m.type === 'ready') resolveStart(replica)
      else if (m.type === 'error') {
        fail(new Error(`A training thread failed: ${m.message}`))
        rejectStart(failure)
      } else {
        waiting?.resolve(m)
        waiting = null
      }
    })
    worker.on('error', (err) => {
      fail(new Error(`A training thread failed: ${err.message}`))
      rejectStart(failure)
    })
    worker.on('exit', (code) => {
      fail(new Error(`A training thread stopped (exit code ${code})`))
      rejectStart(failure)
    })
    const replica: Replica = {
      step: (input) =>
        new Promise((resolve, reject) => {
          if (failure) return reject(failure)
          waiting = { resolve, reject }
          worker.postMessage(input, [...input.weights.map((w) => w.buffer as ArrayBuffer), input.x.buffer as ArrayBuffer, input.y.buffer as ArrayBuffer])
        }),
      close: async () => {
        failure ??= new Error('The training thread was closed')
        await worker.terminate()
      },
    }
  })
}

/** The worker's side: builds the model, then answers each step with the part's loss and gradients. */
export async function serveReplica(port: { postMessage(m: FromReplica, transfer?: ArrayBuffer[]): void; on(e: 'message', l: (m: ReplicaStep) => void): void }, init: ReplicaInit): Promise<void> {
  try {
    await selectEngine('wasm')
    let seed = 0
    let calls = 0
    // Dropout seeds of part p never meet the trainer's own (part 0): batchSeed·1000 + 250·p + call.
    const model = buildModel(init.spec, { dropout: (rate) => new SeededDropout(rate, () => seed * 1000 + 250 * init.part + calls++) })
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
    port.on('message', (m) => {
      try {
        seed = m.seed
        calls = 0
        tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(m.weights[i]!, v.shape))))
        const x = tf.tensor(m.x, m.xShape)
        const y = tf.tensor(m.y, m.yShape)
        let predictions: tf.Tensor | null = null
        const { value, grads } = tf.variableGrads(() => {
          const p = model.apply(x, { training: true }) as tf.Tensor
          predictions = tf.keep(p)
          return lossOf(init.kind, y, p)
        }, variables)
        const loss = value.dataSync()[0]!
        const correct = init.kind === 'mse' ? 0 : correctCount(init.kind, y, predictions!)
        const out = variables.map((v) => (grads[v.name] ? (grads[v.name]!.dataSync() as Float32Array) : new Float32Array(v.size)))
        tf.dispose([x, y, value, predictions!, ...Object.values(grads)])
        port.postMessage({ type: 'result', loss, correct, grads: out }, out.map((g) => g.buffer as ArrayBuffer))
      } catch (err) {
        port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) })
      }
    })
    port.postMessage({ type: 'ready' })
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  }
}
