/**
 * The training loop, run inside the trainer process. It reads batches from the preprocessing cache (or
 * the encoded table), augments them, takes optimizer steps, validates, checkpoints and finally predicts on
 * the validation and test splits, reporting everything through `post`. Randomness — initial weights,
 * shuffles, augmentation and dropout masks — all comes from the run's seed, so the same seed on the
 * same engine gives the same curve, also across a resume.
 */
import * as tf from '@tensorflow/tfjs'
import type { Split } from '../../../shared/contract'
import { trustedSpec } from '../../../shared/model/registry'
import type { GpuAdapterInfo, Hyperparameters, OptimizerName, PredictionRow } from '../../../shared/training'
import { seededRandom, shuffleInPlace } from '../datasets/split'
import { argmax } from '../evaluation/metrics'
import { ImageCacheReader, readCacheMeta } from '../datasets/tensor-cache'
import { ensureFeatures, featureChunk, featureComputerFor, FeatureReader } from '../backbones/feature-cache'
import { frozenPart } from '../backbones/backbone'
import { buildParts, type BackbonePart } from '../backbones/model-parts'
import { augmentBatch } from './augment'
import { loadCheckpoint, loadWeights, saveCheckpoint, type LoopState } from './checkpoint'
import { selectEngine, type EngineName } from './engine'
import type { FromTrainer, PredictJob, TrainJob } from './protocol'
import { launchReplica, trainingThreads, type LaunchedReplica, type Replica } from './replica'
import { correctTensor, gradientsOf, lossKind, lossOf, scalarOf, SeededDropout, type LossKind } from './step-parts'
import { messageOf } from '../../../shared/messages'
import { adapterLabel, limitMessage, limitProblem } from './webgpu'

/** Each optimizer of the registry (shared/training) as tfjs builds it. */
const optimizerBuilders: Record<OptimizerName, (hp: Hyperparameters) => tf.Optimizer> = {
  sgd: (hp) => tf.train.sgd(hp.learningRate),
  momentum: (hp) => tf.train.momentum(hp.learningRate, hp.momentum),
  // Keras' epsilon, as the reference benchmark uses.
  adam: (hp) => tf.train.adam(hp.learningRate, 0.9, 0.999, 1e-7),
  rmsprop: (hp) => tf.train.rmsprop(hp.learningRate, 0.9, 0, 1e-7),
  adagrad: (hp) => tf.train.adagrad(hp.learningRate),
  // Adam with the infinity norm (Keras' defaults): steadier steps where gradients are sparse or spiky.
  adamax: (hp) => tf.train.adamax(hp.learningRate, 0.9, 0.999, 1e-7),
}

export function makeOptimizer(hp: Hyperparameters): tf.Optimizer {
  return optimizerBuilders[hp.optimizer](hp)
}

interface Feed {
  shape: number[]
  normalization: { mean: number[]; std: number[] } | null
  indices: Record<Split, number[]>
  sampleIds: number[]
  /** What computed a backbone's features (a receipt line); absent without a backbone. */
  featureEngine?: string
  /** x batch (normalised, augmented if asked) and y batch for these rows. */
  batch(rows: number[], augment: (() => number) | null): { x: tf.Tensor; y: tf.Tensor; truth: number[] }
  close(): void
}

function imageFeed(job: TrainJob, kind: LossKind, classes: number): Feed {
  if (job.data.kind !== 'image') throw new Error('expected image data')
  const meta = readCacheMeta(job.data.cacheMeta)
  const reader = new ImageCacheReader(job.data.cacheData, meta)
  const { height: h, width: w, channels: c } = meta.shape
  const indices = splitIndices(job.data.splits ?? meta.splits, job)
  let scale = 1 / 255
  let mean: Float32Array = new Float32Array(c)
  let std: Float32Array = new Float32Array(c).fill(1)
  if (job.hyperparameters.normalization === 'standardize') {
    ;({ mean, std } = channelStats(reader, indices.train, c))
    scale = 1
  }
  const hp = job.hyperparameters
  return {
    shape: [h, w, c],
    normalization: scale === 1 ? { mean: Array.from(mean), std: Array.from(std) } : null,
    indices,
    sampleIds: meta.sampleIds,
    batch(rows, augment) {
      const raw = reader.read([...rows].sort((a, b) => a - b))
      const order = [...rows].sort((a, b) => a - b)
      const pos = new Map(order.map((r, i) => [r, i]))
      const size = h * w * c
      const x = new Float32Array(rows.length * size)
      rows.forEach((r, i) => {
        const src = pos.get(r)! * size
        for (let j = 0; j < size; j++) {
          const ch = j % c
          x[i * size + j] = scale === 1 ? (raw[src + j]! - mean[ch]!) / std[ch]! : raw[src + j]! * scale
        }
      })
      if (augment)
        augmentBatch(x, rows.length, h, w, c, hp.augmentation, augment, scale === 1 ? 255 / (std[0] || 1) : 1)
      const truth = rows.map((r) => meta.classIndex[r]!)
      return { x: tf.tensor4d(x, [rows.length, h, w, c]), y: labelsTensor(kind, truth, classes), truth }
    },
    close: () => reader.close(),
  }
}

function tableFeed(job: TrainJob, kind: LossKind, classes: number): Feed {
  if (job.data.kind !== 'table') throw new Error('expected table data')
  const { features, featureCount, targets, sampleIds, splits } = job.data
  return {
    shape: [featureCount],
    normalization: null,
    indices: splitIndices(splits, job),
    sampleIds,
    batch(rows) {
      const x = new Float32Array(rows.length * featureCount)
      rows.forEach((r, i) => x.set(features.subarray(r * featureCount, (r + 1) * featureCount), i * featureCount))
      const truth = rows.map((r) => targets[r]!)
      const y = kind === 'mse' ? tf.tensor2d(truth, [rows.length, 1]) : labelsTensor(kind, truth, classes)
      return { x: tf.tensor2d(x, [rows.length, featureCount]), y, truth }
    },
    close: () => undefined,
  }
}

/**
 * A backbone model's data: the frozen part's output per image, from the feature cache (computed first if
 * missing, with progress). Null when the run was stopped while computing.
 */
async function featureFeed(
  job: TrainJob,
  kind: LossKind,
  classes: number,
  part: BackbonePart,
  control: TrainerControl,
  post: (m: FromTrainer) => void,
  engine: EngineName,
): Promise<Feed | null> {
  if (job.data.kind !== 'image' || !job.data.featureDir)
    throw new Error('expected image data with a feature cache folder')
  const meta = readCacheMeta(job.data.cacheMeta)
  let lastPost = 0
  // On webgpu the graphics card computes them; elsewhere ensureFeatures' onnxruntime (only if any are missing).
  const computer = engine === 'webgpu' ? await featureComputerFor(engine, part.loaded, part.cut) : undefined
  const features = await ensureFeatures({
    ...(computer ? { computer } : {}),
    dir: job.data.featureDir,
    pixels: { data: job.data.cacheData, meta },
    backbone: part.loaded,
    cut: part.cut,
    shouldStop: () => control.stopped,
    onProgress: (p) => {
      const now = performance.now()
      if (now - lastPost < 250 && p.done < p.total) return
      lastPost = now
      post({ type: 'preparing', phase: 'features', ...p })
    },
  })
  if (!features) return null
  const reader = new FeatureReader(features.path, features.meta)
  const indices = splitIndices(job.data.splits ?? meta.splits, job)
  return {
    shape: part.cut.shape,
    normalization: null,
    indices,
    sampleIds: meta.sampleIds,
    featureEngine: features.meta.engine,
    batch(rows) {
      const truth = rows.map((r) => meta.classIndex[r]!)
      return {
        x: tf.tensor(reader.features(rows), [rows.length, ...part.cut.shape]),
        y: labelsTensor(kind, truth, classes),
        truth,
      }
    },
    close: () => reader.close(),
  }
}

function labelsTensor(kind: LossKind, truth: number[], classes: number): tf.Tensor {
  if (kind === 'binary') return tf.tensor2d(truth, [truth.length, 1])
  return tf.tidy(() => tf.oneHot(tf.tensor1d(truth, 'int32'), classes).cast('float32'))
}

/** Rows per split; without a validation split, a seeded share of train is held out for validation. */
function splitIndices(splits: readonly Split[], job: TrainJob): Record<Split, number[]> {
  const out: Record<Split, number[]> = { train: [], validation: [], test: [] }
  splits.forEach((s, i) => out[s].push(i))
  if (out.validation.length === 0 && job.hyperparameters.validationFraction > 0 && out.train.length >= 10) {
    const shuffled = shuffleInPlace([...out.train], seededRandom(job.seed ^ 0x5eed))
    const n = Math.max(1, Math.round(out.train.length * job.hyperparameters.validationFraction))
    out.validation = shuffled.slice(0, n).sort((a, b) => a - b)
    const held = new Set(out.validation)
    out.train = out.train.filter((i) => !held.has(i))
  }
  return out
}

function channelStats(reader: ImageCacheReader, rows: number[], c: number): { mean: Float32Array; std: Float32Array } {
  const sum = new Float64Array(c)
  const sq = new Float64Array(c)
  let count = 0
  for (let start = 0; start < rows.length; start += 512) {
    const raw = reader.read(rows.slice(start, start + 512).sort((a, b) => a - b))
    for (let j = 0; j < raw.length; j++) {
      const v = raw[j]!
      sum[j % c]! += v
      sq[j % c]! += v * v
    }
    count += raw.length / c
  }
  const mean = Float32Array.from(sum, (s) => s / count)
  const std = Float32Array.from(sq, (s, ch) => Math.sqrt(Math.max(s / count - mean[ch]! ** 2, 1e-6)))
  return { mean, std }
}

export interface TrainerControl {
  paused: boolean
  stopped: boolean
  /** Resolves on the next control message (pause, resume, stop). */
  wait(): Promise<void>
}

export interface TrainingOptions {
  /**
   * The replica thread's entry file (replica-worker). Given, a run on the wasm engine trains each batch
   * in parts on as many threads as `trainingThreads` allows; absent, on one thread.
   */
  replicaEntry?: string
}

/** Runs a whole job; every outcome is reported through `post` (failures too). */
export async function runTraining(
  job: TrainJob,
  control: TrainerControl,
  post: (m: FromTrainer) => void,
  options: TrainingOptions = {},
): Promise<void> {
  const launched: LaunchedReplica[] = []
  try {
    await train(job, control, post, options, launched)
  } finally {
    // The replica threads are closed however the run ends.
    await Promise.all(launched.map((r) => r.close()))
  }
}

async function train(
  job: TrainJob,
  control: TrainerControl,
  post: (m: FromTrainer) => void,
  options: TrainingOptions,
  launched: LaunchedReplica[],
): Promise<void> {
  const hp = job.hyperparameters
  const engine = await selectEngine(job.engine)
  const classes = job.classNames.length
  // The core normalised it before it stored it and sent it.
  const spec = trustedSpec(job.spec)
  // Dropout masks are drawn from a seed per batch and call, so they repeat exactly in a re-run.
  let dropoutCalls = 0
  let batchSeed = job.seed
  const parts = await buildParts(spec, job.seed, {
    dropout: (rate) => new SeededDropout(rate, () => batchSeed * 1000 + dropoutCalls++),
  })
  const model = parts.trained
  const outputUnits = (model.outputs[0]!.shape as number[]).at(-1)!
  let kind: LossKind
  try {
    kind = lossKind(job.task, classes, outputUnits)
    if (engine.adapter) refuseOverLimits(engine.adapter, model, hp.batchSize, parts.backbone)
  } catch (err) {
    parts.dispose()
    throw err
  }

  const optimizer = makeOptimizer(hp)
  let feed: Feed | null
  try {
    feed = parts.backbone
      ? await featureFeed(job, kind, classes, parts.backbone, control, post, engine.engine)
      : job.data.kind === 'image'
        ? imageFeed(job, kind, classes)
        : tableFeed(job, kind, classes)
  } catch (err) {
    parts.dispose()
    optimizer.dispose()
    throw err
  }
  if (!feed) {
    parts.dispose()
    optimizer.dispose()
    post({
      type: 'finished',
      status: 'stopped',
      reason:
        'Stopped by the user while the image features were computed; the next run on this data continues from the images already done',
    })
    return
  }
  const replicas: Replica[] = []
  try {
    const skipped = [...engine.skipped, ...backboneNotes(parts.backbone, hp)]
    if (hp.batchSize > feed.indices.train.length && feed.indices.train.length > 0) {
      skipped.push(
        `batch size: ${hp.batchSize} is more than the ${feed.indices.train.length} training examples, so each epoch is one step on all of them`,
      )
    }
    // Image models on the single-threaded wasm engine train each batch in parts, one per core, when the
    // run is long enough to repay starting the threads. A backbone's head trains on features: one thread.
    const threads =
      options.replicaEntry && engine.engine === 'wasm' && job.data.kind === 'image' && !parts.backbone
        ? trainingThreads(hp.batchSize, feed.indices.train.length * hp.epochs)
        : 1
    for (let part = 1; part < threads; part++) launched.push(launchReplica(options.replicaEntry!))
    for (const [i, launch] of launched.entries()) {
      try {
        replicas.push(await launch.init({ spec, kind, part: i + 1 }))
      } catch (err) {
        // Training goes on with the threads that started; the receipt says why there are fewer.
        skipped.push(`training threads beyond ${i + 1}: ${messageOf(err)}`)
        await Promise.all(launched.slice(i).map((r) => r.close()))
        break
      }
    }
    const step = replicas.length > 0 ? parallelStep(model, optimizer, kind, replicas) : null
    const backbone = parts.backbone
      ? {
          id: parts.backbone.config.backbone,
          label: parts.backbone.loaded.info.label,
          origin: parts.backbone.loaded.origin,
          sha256: parts.backbone.loaded.sha256,
          trainableBlocks: parts.backbone.config.trainableBlocks,
          featureEngine: feed.featureEngine ?? 'unknown',
        }
      : undefined
    post({
      type: 'started',
      engine: { ...engine, skipped, threads: replicas.length + 1, ...(backbone ? { backbone } : {}) },
      counts: {
        train: feed.indices.train.length,
        validation: feed.indices.validation.length,
        test: feed.indices.test.length,
      },
    })
    if (feed.indices.train.length === 0) throw new Error('The training split is empty')
    let state: LoopState = { epoch: 0, step: 0, best: null, bestEpoch: 0, epochsWithoutImprovement: 0 }
    if (job.resume) state = await loadCheckpoint(job.resume.dir, model, optimizer)
    let bestWeights: tf.Tensor[] | null = null
    const monitorMax = hp.earlyStopping?.metric === 'val_accuracy'

    for (let epoch = state.epoch + 1; epoch <= hp.epochs; epoch++) {
      const order = shuffleInPlace([...feed.indices.train], seededRandom(job.seed * 7919 + epoch))
      const augmentRandom = seededRandom(job.seed * 104729 + epoch)
      const batches = Math.ceil(order.length / hp.batchSize)
      const started = performance.now()
      let lastPost = 0
      // Every batch's loss is recorded; the messages carrying them are sent at most every 100 ms.
      let pending: Array<{ step: number; loss: number; accuracy: number | null }> = []
      let lastBatch: Omit<Extract<FromTrainer, { type: 'batchEnded' }>, 'type' | 'recorded'> | null = null
      const flush = (): void => {
        if (!lastBatch || pending.length === 0) return
        post({ type: 'batchEnded', ...lastBatch, recorded: pending })
        pending = []
        lastPost = performance.now()
      }
      let lossSum = 0
      let correct = 0
      let seen = 0
      for (let b = 0; b < batches; b++) {
        if (control.paused || control.stopped) flush()
        while (control.paused && !control.stopped) {
          post({ type: 'paused' })
          await control.wait()
          if (!control.paused) post({ type: 'resumed' })
        }
        if (control.stopped) break
        const rows = order.slice(b * hp.batchSize, (b + 1) * hp.batchSize)
        batchSeed = job.seed * 100_003 + epoch * 10_007 + b
        dropoutCalls = 0
        const { x, y } = feed.batch(rows, augmentRandom)
        let loss: number
        let right: number
        if (step && rows.length > replicas.length) {
          ;({ loss, right } = await step(x, y, batchSeed))
          tf.dispose([x, y])
        } else {
          // What optimizer.minimize does, keeping the predictions for the correct count.
          const part = await gradientsOf(model, kind, x, y)
          optimizer.applyGradients(part.grads)
          tf.dispose([x, y, ...Object.values(part.grads)])
          ;({ loss, correct: right } = part)
        }
        state.step++
        lossSum += loss * rows.length
        correct += right
        seen += rows.length
        const now = performance.now()
        const accuracy = kind === 'mse' ? null : right / rows.length
        pending.push({ step: state.step, loss, accuracy })
        lastBatch = {
          epoch,
          batch: b + 1,
          batches,
          step: state.step,
          loss,
          accuracy,
          samplesPerSecond: seen / ((now - started) / 1000),
        }
        if (now - lastPost > 100 || b === batches - 1) flush()
        // Let control messages (pause, stop) in between batches.
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (control.stopped) break
      const seconds = (performance.now() - started) / 1000
      const metrics: Record<string, number> = { loss: lossSum / seen }
      if (kind !== 'mse') metrics.accuracy = correct / seen
      if (feed.indices.validation.length > 0) {
        const val = await evaluateSplit(model, feed, feed.indices.validation, kind, hp.batchSize)
        metrics.val_loss = val.loss
        if (val.accuracy !== null) metrics.val_accuracy = val.accuracy
      }
      state.epoch = epoch
      // Early stopping on the monitored metric (falls back to training loss without a validation split).
      const monitored = hp.earlyStopping ? (metrics[hp.earlyStopping.metric] ?? metrics.loss!) : null
      if (monitored !== null && hp.earlyStopping) {
        const improved = state.best === null || (monitorMax ? monitored > state.best : monitored < state.best)
        if (improved) {
          state.best = monitored
          state.bestEpoch = epoch
          state.epochsWithoutImprovement = 0
          if (hp.earlyStopping.restoreBest) {
            tf.dispose(bestWeights ?? [])
            bestWeights = model.getWeights().map((w) => w.clone())
          }
        } else state.epochsWithoutImprovement++
      }
      state.epochReport = { metrics, samplesPerSecond: seen / seconds, seconds }
      const checkpoint = await saveCheckpoint(job.checkpointDir, model, optimizer, state)
      post({ type: 'epochEnded', epoch, step: state.step, ...state.epochReport, checkpoint })
      if (hp.earlyStopping && state.epochsWithoutImprovement >= hp.earlyStopping.patience) {
        if (bestWeights) model.setWeights(bestWeights)
        break
      }
    }
    tf.dispose(bestWeights ?? [])
    if (control.stopped) {
      post({ type: 'finished', status: 'stopped', reason: 'Stopped by the user' })
      return
    }
    // The weights training ends with (the best ones when early stopping restored them), for predicting later.
    await saveCheckpoint(job.checkpointDir, model, optimizer, { ...state, normalization: feed.normalization }, 'final')
    for (const split of ['validation', 'test'] as const) {
      const rows = feed.indices[split]
      if (rows.length === 0) continue
      const { loss, predictions } = await predictSplit(model, feed, rows, kind, hp.batchSize)
      post({ type: 'predictions', split, loss, rows: predictions })
    }
    const early = hp.earlyStopping && state.epoch < hp.epochs
    post({
      type: 'finished',
      status: 'completed',
      reason: early
        ? `Stopped early after epoch ${state.epoch}: no improvement in ${hp.earlyStopping!.metric} for ${hp.earlyStopping!.patience} epochs`
        : `Trained ${state.epoch} epoch${state.epoch === 1 ? '' : 's'}`,
    })
  } finally {
    feed.close()
    parts.dispose()
    optimizer.dispose()
  }
}

/** What a backbone changes about the settings, said on the receipt instead of silently ignored. */
function backboneNotes(part: BackbonePart | null, hp: Hyperparameters): string[] {
  if (!part) return []
  const notes: string[] = []
  const a = hp.augmentation
  if (a.flip !== 'none' || a.rotation > 0 || a.zoom > 0 || a.brightness > 0) {
    notes.push(
      'augmentation: off with a pretrained backbone — the frozen part’s output is computed once per image and cached, so every epoch sees the same images',
    )
  }
  if (hp.normalization === 'standardize')
    notes.push('normalization: the backbone’s own (pixel ÷ 255), not standardised')
  return notes
}

/**
 * One optimizer step over a batch split into parts: the first part here, part i on replica i, all at
 * once. The gradients are averaged weighted by rows, as the whole batch's mean loss would give them.
 */
function parallelStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  kind: LossKind,
  replicas: Replica[],
): (x: tf.Tensor, y: tf.Tensor, seed: number) => Promise<{ loss: number; right: number }> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  const position = new Map(variables.map((v, i) => [v.name, i]))
  return async (x, y, seed) => {
    const n = x.shape[0]!
    const parts = replicas.length + 1
    const sizes = Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0))
    const xData = (await x.data()) as Float32Array
    const yData = (await y.data()) as Float32Array
    const xRow = xData.length / n
    const yRow = yData.length / n
    let start = sizes[0]!
    const weights = (await Promise.all(variables.map((v) => v.data()))) as Float32Array[]
    const pending = replicas.map((replica, i) => {
      const rows = sizes[i + 1]!
      const input = {
        weights: weights.map((w) => w.slice()),
        x: xData.slice(start * xRow, (start + rows) * xRow),
        xShape: [rows, ...x.shape.slice(1)],
        y: yData.slice(start * yRow, (start + rows) * yRow),
        yShape: [rows, ...y.shape.slice(1)],
        seed,
      }
      start += rows
      return replica.step(input)
    })
    const mine = sizes[0]!
    const x0 = x.slice(0, mine)
    const y0 = y.slice(0, mine)
    const own = await gradientsOf(model, kind, x0, y0)
    const grads = own.grads
    let loss = own.loss * mine
    let right = own.correct
    tf.dispose([x0, y0])
    const others = await Promise.all(pending).catch((err: unknown) => {
      tf.dispose(Object.values(grads))
      throw err
    })
    const combined = tf.tidy(() => {
      const out: tf.NamedTensorMap = {}
      for (const [name, g] of Object.entries(grads)) {
        const i = position.get(name)!
        out[name] = others.reduce(
          (sum, r, k) => sum.add(tf.tensor(r.grads[i]!, g.shape).mul(sizes[k + 1]! / n)),
          g.mul(mine / n),
        )
      }
      return out
    })
    tf.dispose(Object.values(grads))
    optimizer.applyGradients(combined)
    tf.dispose(Object.values(combined))
    others.forEach((r, k) => {
      loss += r.loss * sizes[k + 1]!
      right += r.correct
    })
    return { loss: loss / n, right }
  }
}

/** On a WebGPU adapter, a model whose tensors pass its buffer limits is refused before it trains. */
function refuseOverLimits(
  adapter: GpuAdapterInfo,
  model: tf.LayersModel,
  batchSize: number,
  backbone: BackbonePart | null,
): void {
  const problem =
    limitProblem(model, batchSize, adapter) ??
    (backbone ? limitProblem(frozenPart(backbone.loaded, backbone.cut), featureChunk, adapter) : null)
  if (problem) throw new Error(limitMessage(problem, adapterLabel(adapter)))
}

/** Predicts class probabilities for rows of uint8 pixels with a run's final weights. */
export async function runPrediction(job: PredictJob): Promise<{ probabilities: number[][]; engine: EngineName }> {
  const engine = await selectEngine(job.engine)
  // The core normalised it before it stored it and sent it.
  const spec = trustedSpec(job.spec)
  const parts = await buildParts(spec, 0)
  const model = parts.trained
  const backbone = parts.backbone
  const features =
    backbone && job.inputs.type === 'pixels'
      ? await featureComputerFor(engine.engine, backbone.loaded, backbone.cut)
      : null
  try {
    const state = await loadWeights(job.weightsDir, model)
    const size = spec.inputShape.reduce((a, b) => a * b, 1)
    const c = spec.inputShape.at(-1)!
    const { readFileSync } = await import('node:fs')
    const raw = readFileSync(job.inputs.path)
    const rows =
      job.inputs.type === 'features'
        ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
        : null
    const out: number[][] = []
    const batch = features ? 32 : 256
    for (let start = 0; start < job.count; start += batch) {
      const n = Math.min(batch, job.count - start)
      let x: Float32Array
      if (rows) {
        x = rows.slice(start * size, (start + n) * size)
      } else {
        x = new Float32Array(n * size)
        const backboneScale = backbone?.loaded.info.normalization
        for (let j = 0; j < n * size; j++) {
          const v = raw[start * size + j]!
          const ch = j % c
          x[j] = backboneScale
            ? v * backboneScale.scale + backboneScale.offset
            : state.normalization
              ? (v - state.normalization.mean[ch]!) / state.normalization.std[ch]!
              : v / 255
        }
      }
      const inputShape = features ? backbone!.cut.shape : spec.inputShape
      if (features) x = await features.run(x, n)
      const predicted = tf.tidy(() => model.predict(tf.tensor(x, [n, ...inputShape])) as tf.Tensor)
      const values = (await predicted.data()) as Float32Array
      predicted.dispose()
      const width = values.length / n
      for (let i = 0; i < n; i++) {
        const row = Array.from(values.subarray(i * width, (i + 1) * width))
        // One sigmoid unit for two classes: the probability of the second.
        out.push(width === 1 && job.task === 'classification' ? [1 - row[0]!, row[0]!] : row)
      }
    }
    return { probabilities: out, engine: engine.engine }
  } finally {
    await features?.close()
    parts.dispose()
  }
}

async function evaluateSplit(
  model: tf.LayersModel,
  feed: Feed,
  rows: number[],
  kind: LossKind,
  batchSize: number,
): Promise<{ loss: number; accuracy: number | null }> {
  let lossSum = 0
  let correct = 0
  const size = Math.max(batchSize, 256)
  for (let start = 0; start < rows.length; start += size) {
    const part = rows.slice(start, start + size)
    const { x, y } = feed.batch(part, null)
    const p = model.predict(x) as tf.Tensor
    const loss = tf.tidy(() => lossOf(kind, y, p))
    const right = kind === 'mse' ? null : correctTensor(kind, y, p)
    lossSum += (await scalarOf(loss)) * part.length
    if (right) correct += await scalarOf(right)
    tf.dispose([x, y, p, loss, ...(right ? [right] : [])])
  }
  return { loss: lossSum / rows.length, accuracy: kind === 'mse' ? null : correct / rows.length }
}

async function predictSplit(
  model: tf.LayersModel,
  feed: Feed,
  rows: number[],
  kind: LossKind,
  batchSize: number,
): Promise<{ loss: number; predictions: PredictionRow[] }> {
  const out: PredictionRow[] = []
  let lossSum = 0
  const size = Math.max(batchSize, 256)
  const round = (v: number): number => Math.round(v * 1e6) / 1e6
  for (let start = 0; start < rows.length; start += size) {
    const part = rows.slice(start, start + size)
    const { x, y, truth } = feed.batch(part, null)
    const p = model.predict(x) as tf.Tensor
    const loss = tf.tidy(() => lossOf(kind, y, p))
    lossSum += (await scalarOf(loss)) * part.length
    loss.dispose()
    const values = (await p.data()) as Float32Array
    const width = p.shape[1] ?? 1
    part.forEach((row, i) => {
      const sampleId = feed.sampleIds[row]!
      if (kind === 'mse') {
        out.push({
          sampleId,
          trueIndex: null,
          predictedIndex: null,
          confidence: null,
          probabilities: null,
          trueValue: truth[i]!,
          predictedValue: values[i]!,
        })
        return
      }
      const probs =
        kind === 'binary' ? [1 - values[i]!, values[i]!] : Array.from(values.subarray(i * width, (i + 1) * width))
      const best = argmax(probs)
      out.push({
        sampleId,
        trueIndex: truth[i]!,
        predictedIndex: best,
        confidence: round(probs[best]!),
        probabilities: probs.map(round),
        trueValue: null,
        predictedValue: null,
      })
    })
    tf.dispose([x, y, p])
  }
  return { loss: lossSum / rows.length, predictions: out }
}
