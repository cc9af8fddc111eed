/**
 * Memory training needs, roughly: weights, their gradients and Adam's two moments (4 copies of the
 * parameters) plus every layer's activations kept for the backward pass, for a batch, in float32. Shared
 * by the Model page (shown live) and the core (a run that cannot fit is refused before anything is built).
 */
import { analyzeStack, type StackAnalysis } from './registry'
import { formatShape, type ModelSpec } from './types'

export function trainingMemoryBytes(spec: ModelSpec, analysis: StackAnalysis, batchSize: number): number {
  const params = analysis.totalParams * 4 * 4
  const activations = [spec.inputShape, ...analysis.layers.map((l) => l.outputShape ?? [])].reduce(
    (sum, s) => sum + s.reduce((a, b) => a * b, 1),
    0,
  )
  return params + activations * batchSize * 4 * 2
}

export function formatBytes(n: number): string {
  return n > 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GB` : `${(n / 2 ** 20).toFixed(1)} MB`
}

/** What the machine can give training, and why that much (the engine's limit or the memory there is). */
export interface MemoryLimit {
  bytes: number
  reason: string
}

/** Null when the model fits; else a sentence with the estimate, the limit and what to change. */
export function memoryRefusal(spec: ModelSpec, batchSize: number, limit: MemoryLimit): string | null {
  const analysis = analyzeStack(spec)
  if (analysis.firstError) return null
  const need = trainingMemoryBytes(spec, analysis, batchSize)
  if (need <= limit.bytes) return null
  const biggest = analysis.layers.reduce(
    (best, l, i) => ((l.params?.trainable ?? 0) > (analysis.layers[best]?.params?.trainable ?? 0) ? i : best),
    0,
  )
  const layer = spec.layers[biggest]
  const hint =
    spec.inputShape.length === 3 && spec.inputShape[0]! * spec.inputShape[1]! > 512 * 512
      ? `a smaller input than ${formatShape(spec.inputShape)}`
      : layer
        ? `fewer units or filters (layer ${biggest + 1}, ${layer.type}, holds the most weights), a smaller input or a smaller batch`
        : 'a smaller input or a smaller batch'
  return `This model needs about ${formatBytes(need)} to train with batch ${batchSize}, but this machine can give about ${formatBytes(limit.bytes)} (${limit.reason}). Try ${hint}.`
}
