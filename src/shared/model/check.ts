/** Config field checks shared by the layer modules; each error echoes the value it got. */
import { LayerError, type Pair } from './types'

function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v)
}

export function positiveInt(layer: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new LayerError(`${layer}: ${name} must be a positive whole number. Received: ${name}=${show(v)}`)
  return v
}

export function numberIn(
  layer: string,
  name: string,
  v: unknown,
  min: number,
  max: number,
  { minOpen = false, maxOpen = false } = {},
): number {
  const ok =
    typeof v === 'number' && Number.isFinite(v) && (minOpen ? v > min : v >= min) && (maxOpen ? v < max : v <= max)
  if (!ok) {
    throw new LayerError(
      `${layer}: ${name} must be a number from ${min}${minOpen ? ' (exclusive)' : ''} to ${max}${maxOpen ? ' (exclusive)' : ''}. Received: ${name}=${show(v)}`,
    )
  }
  return v as number
}

export function finiteNumber(layer: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new LayerError(`${layer}: ${name} must be a number. Received: ${name}=${show(v)}`)
  return v
}

/** A positive int or a pair of them (Keras accepts both for sizes and strides). */
export function pair(layer: string, name: string, v: unknown): Pair {
  if (typeof v === 'number') return [positiveInt(layer, name, v), v]
  if (Array.isArray(v) && v.length === 2) return [positiveInt(layer, name, v[0]), positiveInt(layer, name, v[1])]
  throw new LayerError(
    `${layer}: ${name} must be a positive whole number or a pair of them. Received: ${name}=${show(v)}`,
  )
}

export function oneOf<T extends string>(layer: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new LayerError(`${layer}: ${name} must be one of ${allowed.join(', ')}. Received: ${name}=${show(v)}`)
  }
  return v as T
}

export function bool(layer: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean')
    throw new LayerError(`${layer}: ${name} must be true or false. Received: ${name}=${show(v)}`)
  return v
}

export function noExtraKeys(layer: string, config: Record<string, unknown>, known: readonly string[]): void {
  const extra = Object.keys(config).filter((k) => !known.includes(k))
  if (extra.length > 0)
    throw new LayerError(
      `${layer} has no setting ${extra.map(show).join(', ')}; its settings are ${known.join(', ') || 'none'}`,
    )
}

/** Output length along one axis of a convolution or pooling window (Keras' conv_output_length). */
export function windowOutput(input: number, window: number, stride: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - window) / stride) + 1
}
