/**
 * Data-parallel training on the wasm engine. tfjs' wasm backend runs on one thread under Node, so a
 * machine with more cores trains a batch in parts: the trainer takes the first part and each replica —
 * a worker thread with its own wasm backend and a copy of the model — takes one of the others. A replica
 * receives the current weights and its rows, and returns its loss, its correct count and its gradients;
 * the trainer averages the gradients weighted by rows (the whole batch's mean gradient, up to rounding)
 * and takes one optimizer step. Every part draws its dropout masks from the batch's seed and its own
 * index, so a run is as reproducible as on one thread. Batch normalisation normalises each part by its own
 * rows (as data-parallel training does elsewhere); the moving averages kept for prediction follow the
 * trainer's part.
 *
 * This module is both sides: `launchReplica` on the trainer's side, `serveReplica` in the worker.
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
import { gradientsOf, SeededDropout, type LossKind } from './step-parts'
import { messageOf } from '../../../shared/messages'

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

type ToReplica = ({ type: 'init' } & ReplicaInit) | ({ type: 'step' } & ReplicaStep)
type FromReplica = { type: 'ready' } | ({ type: 'result' } & ReplicaResult) | { type: 'error'; message: string }

export interface Replica {
  step(input: ReplicaStep): Promise<ReplicaResult>
  close(): Promise<void>
}

/** Below this many training samples × epochs a run is over before extra threads repay their start (~1 s). */
export const threadedWorkMinimum = 15_000

/**
 * How many threads a run trains on: one per core, at most four, at least four rows per part, and one
 * for a short run (`work`: training samples × epochs). A whole number in MODELBENCH_TRAIN_THREADS is
 * taken instead of the core count, for runs of any length (1 trains on one thread).
 */
export function trainingThreads(batchSize: number, work: number, cores = availableParallelism()): number {
  const forced = Number(process.env.MODELBENCH_TRAIN_THREADS)
  const isForced = Number.isInteger(forced) && forced >= 1
  if (!isForced && work < threadedWorkMinimum) return 1
  return Math.max(1, Math.min(isForced ? forced : cores, 4, Math.floor(batchSize / 4)))
}

/**
 * A TypeScript entry (development, tests, benchmarks) runs through tsx, as the trainer does under tsx.
 * A worker ignores `--import` in its execArgv on Node 20, so a small script registers tsx first.
 */
function typeScriptWorker(entry: string): Worker {
  // tsx's ESM API (its `import` build, beside the loader `--import tsx` runs) registers its hooks here.
  const tsxApi = join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'api', 'index.mjs')
  const code = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}) })`
  return new Worker(code, { eval: true })
}

export interface LaunchedReplica {
  /** Builds the model in the thread; resolves once it can take steps. */
  init(init: ReplicaInit): Promise<Replica>
  close(): Promise<void>
}

/**
 * Starts a replica thread, which loads tfjs and the wasm engine at once (about a second); `init` then
 * gives it the model.
 */
export function launchReplica(entry: string): LaunchedReplica {
  const worker = entry.endsWith('.ts') ? typeScriptWorker(entry) : new Worker(entry)
  let waiting: { resolve: (m: FromReplica) => void; reject: (e: Error) => void } | null = null
  let failure: Error | null = null
  const fail = (err: Error): void => {
    failure ??= err
    waiting?.reject(failure)
    waiting = null
  }
  worker.on('message', (m: FromReplica) => {
    if (m.type === 'error') fail(new Error(`A training thread failed: ${m.message}`))
    else {
      waiting?.resolve(m)
      waiting = null
    }
  })
  worker.on('error', (err) => fail(new Error(`A training thread failed: ${err.message}`)))
  worker.on('exit', (code) => fail(new Error(`A training thread stopped (exit code ${code})`)))
  const ask = (message: ToReplica, transfer: ArrayBuffer[] = []): Promise<FromReplica> =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure)
      waiting = { resolve, reject }
      worker.postMessage(message, transfer)
    })
  const close = async (): Promise<void> => {
    failure ??= new Error('The training thread was closed')
    await worker.terminate()
  }
  const replica: Replica = {
    step: async (input) => {
      const transfer = [
        ...input.weights.map((w) => w.buffer as ArrayBuffer),
        input.x.buffer as ArrayBuffer,
        input.y.buffer as ArrayBuffer,
      ]
      return (await ask({ type: 'step', ...input }, transfer)) as ReplicaResult
    },
    close,
  }
  return {
    init: async (init) => {
      await ask({ type: 'init', ...init })
      return replica
    },
    close,
  }
}

/** The worker's side: loads the engine, builds the model when told, then answers each step with the part's loss and gradients. */
export function serveReplica(port: {
  postMessage(m: FromReplica, transfer?: ArrayBuffer[]): void
  on(e: 'message', l: (m: ToReplica) => void): void
}): void {
  const reply = (work: () => FromReplica | Promise<FromReplica>): void => {
    Promise.resolve()
      .then(work)
      .then(
        (m) => port.postMessage(m, m.type === 'result' ? m.grads.map((g) => g.buffer as ArrayBuffer) : []),
        (err: unknown) => port.postMessage({ type: 'error', message: messageOf(err) }),
      )
  }
  const engine = selectEngine('wasm')
  engine.catch(() => undefined)
  let seed = 0
  let calls = 0
  let model: tf.LayersModel | null = null
  let variables: tf.Variable[] = []
  let kind: LossKind = 'categorical'
  port.on('message', (m) => {
    if (m.type === 'init') {
      reply(async () => {
        await engine
        kind = m.kind
        // Dropout seeds of part p never meet the trainer's own (part 0): batchSeed·1000 + 250·p + call.
        model = buildModel(m.spec, {
          dropout: (rate) => new SeededDropout(rate, () => seed * 1000 + 250 * m.part + calls++),
        })
        variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
        return { type: 'ready' }
      })
      return
    }
    reply(async () => {
      if (!model) throw new Error('a step came before the model')
      seed = m.seed
      calls = 0
      tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(m.weights[i]!, v.shape))))
      const x = tf.tensor(m.x, m.xShape)
      const y = tf.tensor(m.y, m.yShape)
      const { grads, loss, correct } = await gradientsOf(model, kind, x, y, variables)
      const out = await Promise.all(
        variables.map(async (v) =>
          grads[v.name] ? ((await grads[v.name]!.data()) as Float32Array) : new Float32Array(v.size),
        ),
      )
      tf.dispose([x, y, ...Object.values(grads)])
      return { type: 'result', loss, correct, grads: out }
    })
  })
}
