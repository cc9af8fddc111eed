/**
 * The WebGPU engine's device: the `webgpu` package (Dawn, prebuilt inside the npm package for macOS,
 * Windows and Linux) gives Node a WebGPU adapter — Metal on a Mac, Vulkan or Direct3D 12 elsewhere — and
 * tfjs' webgpu backend trains on it. Only a hardware adapter is used unless the engine is forced: a
 * software one (SwiftShader, llvmpipe, WARP) is far slower than the processor engines and is there for
 * checking correctness. A model whose tensors pass the adapter's buffer limits is refused before training.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { adapterLabel } from '../../../shared/engines'
import type { GpuAdapterInfo } from '../../../shared/training'

interface Dawn {
  create(options: string[]): GPU
  globals: Record<string, unknown>
}

/** Names that mark a software rasteriser rather than a graphics card. */
const softwareNames = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i

export { adapterLabel }

export function isSoftwareAdapter(info: {
  vendor: string
  architecture: string
  device: string
  description: string
  fallback?: boolean
}): boolean {
  return (
    info.fallback === true ||
    softwareNames.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`)
  )
}

let gpu: GPU | null = null

async function loadDawn(): Promise<GPU> {
  if (gpu) return gpu
  // Vulkan's loader and Mesa's drivers complain on stderr without a private runtime folder.
  const runtime = process.env.XDG_RUNTIME_DIR
  if (process.platform === 'linux' && (!runtime || !existsSync(runtime)))
    process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'modelbench-runtime-'))
  const dawn = (await import('webgpu')) as unknown as Dawn
  // The backend uses WebGPU's global constants (GPUBufferUsage, GPUMapMode…), as in a browser.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true })
  }
  gpu = dawn.create([])
  return gpu
}

/** The adapter WebGPU offers here (high performance first), or why there is none. */
export async function findAdapter(): Promise<{ adapter: GPUAdapter; info: GpuAdapterInfo }> {
  let adapter: GPUAdapter | null
  try {
    adapter = await (await loadDawn()).requestAdapter({ powerPreference: 'high-performance' })
  } catch (err) {
    throw new Error(`the webgpu package did not load (${err instanceof Error ? err.message.split('\n')[0] : err})`)
  }
  if (!adapter) throw new Error('no WebGPU adapter was found (no Metal, Vulkan or Direct3D 12 driver answered)')
  return { adapter, info: adapterInfo(adapter) }
}

/** The adapter, hardware or software, or why there is none: what the GPU doctor shows. */
export async function probeAdapter(): Promise<{ adapter: GpuAdapterInfo | null; problem: string | null }> {
  try {
    return { adapter: (await findAdapter()).info, problem: null }
  } catch (err) {
    return { adapter: null, problem: err instanceof Error ? err.message : String(err) }
  }
}

export function adapterInfo(adapter: GPUAdapter): GpuAdapterInfo {
  const i = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }
  const named = {
    vendor: i.vendor || 'unknown vendor',
    architecture: i.architecture || 'unknown',
    device: i.device || '',
    description: i.description || '',
  }
  return {
    ...named,
    software: isSoftwareAdapter({ ...named, fallback: i.isFallbackAdapter === true }),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  }
}

let started: GpuAdapterInfo | null = null

/** navigator.gpu, which the backend checks for (Node 20 has no navigator; 21 and later have one without gpu). */
function exposeGpu(g: GPU): void {
  const scope = globalThis as { navigator?: object }
  if (!scope.navigator)
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true })
  if (!('gpu' in scope.navigator!)) Object.defineProperty(scope.navigator!, 'gpu', { value: g, configurable: true })
}

/**
 * Makes tfjs' webgpu backend current on the adapter found here. A software adapter is refused unless
 * `allowSoftware` (the engine was forced).
 */
export async function startWebgpu(allowSoftware: boolean): Promise<GpuAdapterInfo> {
  if (started && tf.getBackend() === 'webgpu') return started
  const { adapter, info } = await findAdapter()
  if (info.software && !allowSoftware)
    throw new Error(
      `only a software adapter was found (${adapterLabel(info)}), slower than the processor engines; ` +
        'choose WebGPU on the Engine page or set MODELBENCH_ENGINE=webgpu to use it anyway',
    )
  // Imported before navigator.gpu exists, the backend does not register itself: it is registered here on
  // this adapter's device, with the limits the adapter allows.
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu')
  exposeGpu(await loadDawn())
  if (!tf.engine().registryFactory.webgpu) {
    const requiredFeatures = (['timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f))
    const l = adapter.limits
    const device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    })
    tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info))
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise')
  started = info
  return info
}

export interface LimitProblem {
  /** The tensor that is too big, in words. */
  what: string
  bytes: number
  limit: 'maxBufferSize' | 'maxStorageBufferBindingSize'
  limitBytes: number
  /** The largest batch size whose tensors would fit, 0 when not even one example fits. */
  largestBatch: number
}

/**
 * Whether a model's tensors fit the adapter: every tensor lives in one storage buffer, so the largest
 * (an activation of the whole batch, or a weight) must be within maxStorageBufferBindingSize and
 * maxBufferSize. Null when it fits.
 */
export function limitProblem(
  model: tf.LayersModel,
  batchSize: number,
  limits: Pick<GpuAdapterInfo, 'maxBufferSize' | 'maxStorageBufferBindingSize'>,
): LimitProblem | null {
  const candidates: Array<{ what: string; perExample: number; fixed: number }> = []
  const values = (shape: readonly (number | null)[]): number => shape.reduce<number>((a, b) => a * (b ?? 1), 1)
  for (const input of model.inputs)
    candidates.push({ what: 'the input batch', perExample: values(input.shape), fixed: 0 })
  model.layers.forEach((layer, i) => {
    const out = layer.outputShape
    const shapes = (Array.isArray(out[0]) ? out : [out]) as (number | null)[][]
    for (const s of shapes)
      candidates.push({
        what: `the output of layer ${i + 1} (${layer.getClassName()})`,
        perExample: values(s),
        fixed: 0,
      })
    for (const w of layer.weights)
      candidates.push({
        what: `the weights of layer ${i + 1} (${layer.getClassName()})`,
        perExample: 0,
        fixed: values(w.shape),
      })
  })
  const limit: LimitProblem['limit'] =
    limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize'
  const limitBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize)
  const over = candidates
    .map((c) => ({ ...c, bytes: (c.perExample * batchSize + c.fixed) * 4 }))
    .filter((c) => c.bytes > limitBytes)
  if (over.length === 0) return null
  const worst = over.reduce((a, b) => (b.bytes > a.bytes ? b : a))
  // The batch that fits is the smallest over every tensor that grows with it; none does when a weight is too big.
  const largestBatch = over.some((c) => c.perExample === 0)
    ? 0
    : Math.min(
        ...candidates.filter((c) => c.perExample > 0).map((c) => Math.floor((limitBytes / 4 - c.fixed) / c.perExample)),
      )
  return { what: worst.what, bytes: worst.bytes, limit, limitBytes, largestBatch: Math.max(0, largestBatch) }
}

function megabytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`
}

/** The refusal, in words: what is too big, the limit by name, and what to change. */
export function limitMessage(p: LimitProblem, adapter: string): string {
  const change =
    p.largestBatch > 0
      ? `Use a batch size of at most ${p.largestBatch}, smaller images or fewer filters, or train on the processor.`
      : 'Make the layer smaller or train on the processor.'
  return (
    `This model does not fit the graphics card (${adapter}): ${p.what} needs ${megabytes(p.bytes)} in one buffer, ` +
    `more than the adapter's ${p.limit} of ${megabytes(p.limitBytes)}. ${change}`
  )
}
