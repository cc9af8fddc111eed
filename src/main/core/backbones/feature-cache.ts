/**
 * The feature cache: a frozen backbone's output for every image of a dataset version, computed once and
 * kept on disk beside the pixel cache, keyed by everything that decides it (the version's hash, the input
 * size, the backbone's weights hash, where the frozen part ends, the normalisation). Computed in order a
 * chunk at a time and written by offset, with a progress file after each chunk, so a computation killed
 * half-way resumes where it stopped. The forward pass runs on onnxruntime-node (native, all cores), which
 * measured 15× faster than tfjs-wasm on this backbone with outputs equal within 1e-5 — or, when the run
 * trains on the webgpu engine, on the graphics card (its own cache: its outputs differ in the last digits).
 */
import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { CacheMeta } from '../datasets/tensor-cache'
import { ImageCacheReader, RowReader } from '../datasets/tensor-cache'
import { graphToOnnx } from '../export/onnx-graph'
import { frozenPart, type BackboneCut, type LoadedBackbone } from './backbone'

export interface FeatureCacheMeta {
  key: string
  count: number
  /** One row's shape (e.g. [1280]). */
  shape: number[]
  sha256: string
  backbone: { id: string; sha256: string; cut: string }
  /** How long computing took, in all (resumed computations add up). */
  seconds: number
  engine: string
}

export interface FeatureProgress {
  done: number
  total: number
  /** Estimated from the rate so far; null until a chunk is done. */
  secondsLeft: number | null
}

/** Images per forward pass of the frozen part. */
export const featureChunk = 16

/** Computes the frozen part's output for a batch of pixels already normalised (NHWC float32). */
export interface FeatureComputer {
  engine: string
  /** Set when its outputs are not onnxruntime's (e.g. "webgpu"): they get a cache of their own. */
  variant?: string
  run(x: Float32Array, count: number): Promise<Float32Array>
  close(): Promise<void>
}

export interface FeatureRequest {
  /** Folder of feature caches (one per dataset version, beside its pixel cache). */
  dir: string
  pixels: { data: string; meta: CacheMeta }
  backbone: LoadedBackbone
  cut: BackboneCut
  onProgress?: (p: FeatureProgress) => void
  /** Replaces onnxruntime (tests count calls with it). */
  computer?: FeatureComputer
  chunk?: number
  /** Asked between chunks: true stops the computation (what is done is kept for the next run). */
  shouldStop?: () => boolean
}

export function featureKey(pixels: CacheMeta, backbone: LoadedBackbone, cut: BackboneCut, variant?: string): string {
  const { height, width, channels } = pixels.shape
  const parts = {
    format: 1,
    version: pixels.versionHash,
    count: pixels.count,
    input: [height, width, channels],
    backbone: backbone.info.id,
    weights: backbone.sha256,
    cut: cut.layer,
    normalization: backbone.info.normalization,
    ...(variant ? { variant } : {}),
  }
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)
}

export function featurePaths(
  dir: string,
  key: string,
): { data: string; meta: string; partial: string; progress: string; lock: string } {
  const base = join(dir, key)
  return {
    data: `${base}.f32`,
    meta: `${base}.json`,
    partial: `${base}.f32.partial`,
    progress: `${base}.progress`,
    lock: `${base}.lock`,
  }
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** The cache's meta when its file is there, whole and unchanged; null otherwise. */
export function readFeatureCache(dir: string, key: string): FeatureCacheMeta | null {
  const paths = featurePaths(dir, key)
  if (!existsSync(paths.meta) || !existsSync(paths.data)) return null
  try {
    const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as FeatureCacheMeta
    const rowBytes = meta.shape.reduce((a, b) => a * b, 1) * 4
    if (
      meta.key !== key ||
      statSync(paths.data).size !== meta.count * rowBytes ||
      sha256File(paths.data) !== meta.sha256
    )
      return null
    return meta
  } catch {
    return null
  }
}

export async function onnxFeatureComputer(model: LoadedBackbone, cut: BackboneCut): Promise<FeatureComputer> {
  const ort = (await import('onnxruntime-node')) as typeof import('onnxruntime-node') & {
    default?: typeof import('onnxruntime-node')
  }
  const runtime = ort.InferenceSession ? ort : ort.default!
  const threads = availableParallelism()
  const session = await runtime.InferenceSession.create(
    graphToOnnx(frozenPart(model, cut), { producerVersion: 'feature-cache' }),
    {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    },
  )
  const [h, w, c] = model.info.inputShape
  return {
    engine: `onnxruntime-node ${runtime.env.versions.node ?? '(version unknown)'} (${threads} thread${threads === 1 ? '' : 's'})`,
    async run(x, count) {
      const out = await session.run({ input: new runtime.Tensor('float32', x, [count, h, w, c]) })
      return out.output!.data as Float32Array
    },
    close: () => session.release(),
  }
}

/** The frozen part on the current tfjs backend (the webgpu engine's graphics card). */
export function tfjsFeatureComputer(model: LoadedBackbone, cut: BackboneCut, engine: string): FeatureComputer {
  const part = frozenPart(model, cut)
  const [h, w, c] = model.info.inputShape
  return {
    engine,
    variant: tf.getBackend(),
    async run(x, count) {
      const out = tf.tidy(() => part.predict(tf.tensor4d(x, [count, h, w, c])) as tf.Tensor)
      const values = (await out.data()) as Float32Array
      out.dispose()
      return values
    },
    close: async () => undefined,
  }
}

/** What computes features on an engine: the graphics card for webgpu, onnxruntime otherwise. */
export async function featureComputerFor(
  engine: string,
  model: LoadedBackbone,
  cut: BackboneCut,
): Promise<FeatureComputer> {
  return engine === 'webgpu'
    ? tfjsFeatureComputer(model, cut, 'tfjs webgpu (graphics card)')
    : onnxFeatureComputer(model, cut)
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes the computation's lock, waiting while another live process holds it. Returns the cache's meta if
 * the cache is there (it appeared while waiting, or just before the lock was taken: then the lock is let
 * go again), null once this process holds the lock and must compute.
 */
async function takeLock(
  paths: ReturnType<typeof featurePaths>,
  cached: () => FeatureCacheMeta | null,
): Promise<FeatureCacheMeta | null> {
  for (;;) {
    try {
      writeFileSync(paths.lock, String(process.pid), { flag: 'wx' })
      const finished = cached()
      if (finished) rmSync(paths.lock, { force: true })
      return finished
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = Number(readFileSync(paths.lock, 'utf8'))
    if (!Number.isInteger(holder) || holder === process.pid || !pidAlive(holder)) {
      // Left by a computation that was killed: this one takes over (and resumes from its progress).
      rmSync(paths.lock, { force: true })
      continue
    }
    const finished = cached()
    if (finished) return finished
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** The cached features for these pixels, computing (or resuming) what is missing. */
export async function ensureFeatures(
  req: FeatureRequest,
): Promise<{ path: string; meta: FeatureCacheMeta; computedRows: number } | null> {
  const key = featureKey(req.pixels.meta, req.backbone, req.cut, req.computer?.variant)
  const paths = featurePaths(req.dir, key)
  const total = req.pixels.meta.count
  const cached = (): FeatureCacheMeta | null => readFeatureCache(req.dir, key)
  const found = (meta: FeatureCacheMeta): { path: string; meta: FeatureCacheMeta; computedRows: number } => {
    req.onProgress?.({ done: total, total, secondsLeft: 0 })
    return { path: paths.data, meta, computedRows: 0 }
  }
  const hit = cached()
  if (hit) return found(hit)
  mkdirSync(req.dir, { recursive: true })
  const finished = await takeLock(paths, cached)
  if (finished) return found(finished)
  const computer = req.computer ?? (await onnxFeatureComputer(req.backbone, req.cut))
  const reader = new ImageCacheReader(req.pixels.data, req.pixels.meta)
  const rowValues = req.cut.shape.reduce((a, b) => a * b, 1)
  const rowBytes = rowValues * 4
  const { scale, offset } = req.backbone.info.normalization
  const chunk = req.chunk ?? featureChunk
  let fd = -1
  try {
    // Resume: the rows the progress file vouches for are kept, anything written after them is overwritten.
    let done = 0
    let secondsBefore = 0
    if (existsSync(paths.partial) && existsSync(paths.progress)) {
      try {
        const p = JSON.parse(readFileSync(paths.progress, 'utf8')) as { key: string; done: number; seconds: number }
        if (p.key === key && Number.isInteger(p.done) && p.done >= 0 && p.done <= total) {
          done = p.done
          secondsBefore = p.seconds
        }
      } catch {
        done = 0
      }
    }
    fd = openSync(paths.partial, done > 0 ? 'r+' : 'w')
    if (fstatSync(fd).size < done * rowBytes) done = Math.floor(fstatSync(fd).size / rowBytes)
    ftruncateSync(fd, done * rowBytes)
    const resumedAt = done
    const started = performance.now()
    req.onProgress?.({ done, total, secondsLeft: null })
    const pixels = new Uint8Array(chunk * reader.rowBytes)
    const x = new Float32Array(chunk * reader.rowBytes)
    while (done < total) {
      if (req.shouldStop?.()) return null
      const n = Math.min(chunk, total - done)
      reader.read(
        Array.from({ length: n }, (_, i) => done + i),
        pixels,
      )
      for (let i = 0; i < n * reader.rowBytes; i++) x[i] = pixels[i]! * scale + offset
      const out = await computer.run(n === chunk ? x : x.subarray(0, n * reader.rowBytes), n)
      if (out.length !== n * rowValues)
        throw new Error(`the backbone gave ${out.length} values for ${n} images, expected ${n * rowValues}`)
      writeSync(fd, new Uint8Array(out.buffer, out.byteOffset, n * rowBytes), 0, n * rowBytes, done * rowBytes)
      done += n
      const elapsed = (performance.now() - started) / 1000
      writeFileSync(paths.progress, JSON.stringify({ key, done, seconds: secondsBefore + elapsed }))
      const rate = (done - resumedAt) / elapsed
      req.onProgress?.({ done, total, secondsLeft: rate > 0 ? (total - done) / rate : null })
    }
    closeSync(fd)
    fd = -1
    renameSync(paths.partial, paths.data)
    const seconds = secondsBefore + (performance.now() - started) / 1000
    const meta: FeatureCacheMeta = {
      key,
      count: total,
      shape: req.cut.shape,
      sha256: sha256File(paths.data),
      backbone: { id: req.backbone.info.id, sha256: req.backbone.sha256, cut: req.cut.layer },
      seconds,
      engine: computer.engine,
    }
    writeFileSync(`${paths.meta}.tmp`, JSON.stringify(meta))
    renameSync(`${paths.meta}.tmp`, paths.meta)
    rmSync(paths.progress, { force: true })
    return { path: paths.data, meta, computedRows: total - resumedAt }
  } finally {
    if (fd >= 0) closeSync(fd)
    reader.close()
    if (!req.computer) await computer.close()
    rmSync(paths.lock, { force: true })
  }
}

/** Reads feature rows by index (positioned reads; a cache can be larger than memory). */
export class FeatureReader extends RowReader {
  readonly rowValues: number

  constructor(
    path: string,
    readonly meta: FeatureCacheMeta,
  ) {
    const rowValues = meta.shape.reduce((a, b) => a * b, 1)
    super(path, rowValues * 4, meta.count, 'feature cache')
    this.rowValues = rowValues
  }

  /** The rows' float32 values, one row after another. */
  features(rows: readonly number[]): Float32Array {
    const out = new Float32Array(rows.length * this.rowValues)
    this.read(rows, new Uint8Array(out.buffer))
    return out
  }
}
