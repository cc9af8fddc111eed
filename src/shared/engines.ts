/**
 * The training engines in words, fastest first, with how fast each trains the reference CNN of
 * BENCHMARKS.md (10,000 digits, batch 32) on a 2-core laptop where it was measured, so the Engine page
 * can say what the engine in use means against the others.
 */

/** The engines, in the order they are tried: fastest first. */
import type { GpuAdapterInfo } from './training'

export const engineOrder = ['node-gpu', 'node', 'webgpu', 'wasm', 'cpu'] as const
export type EngineChoice = (typeof engineOrder)[number]

export interface EngineWords {
  /** What it is, for people: "the NVIDIA graphics card". */
  label: string
  /** Where it runs: the GPU or the processor. */
  on: 'GPU' | 'CPU'
  /** Images a second on the reference CNN, measured on the 2-core reference laptop; null where it could not be measured. */
  referenceSamplesPerSecond: number | null
  /** How that figure was obtained, or why there is none. */
  referenceNote: string
}

export const engineWords: Record<EngineChoice, EngineWords> = {
  'node-gpu': {
    label: 'TensorFlow on the NVIDIA graphics card',
    on: 'GPU',
    referenceSamplesPerSecond: null,
    referenceNote:
      'not measured on the reference laptop (it has no NVIDIA card); usually many times faster than the processor',
  },
  node: {
    label: 'TensorFlow on the processor',
    on: 'CPU',
    referenceSamplesPerSecond: null,
    referenceNote: 'not measured on the reference laptop (the TensorFlow library could not be installed there)',
  },
  webgpu: {
    label: 'WebGPU on the graphics card',
    on: 'GPU',
    referenceSamplesPerSecond: null,
    referenceNote:
      'not measured on the reference laptop (its only WebGPU adapter is a software one); depends on the graphics card',
  },
  wasm: {
    label: 'WebAssembly on the processor',
    on: 'CPU',
    referenceSamplesPerSecond: 1325,
    referenceNote: 'measured',
  },
  cpu: {
    label: 'plain JavaScript on the processor',
    on: 'CPU',
    referenceSamplesPerSecond: 10.5,
    referenceNote: 'measured; a fallback, far slower',
  },
}

export function engineLabel(e: string): string {
  return e in engineWords ? engineWords[e as EngineChoice].label : e
}

/** About how long 5 epochs on 10,000 images take at a speed, in words: "about 40 s". */
export function fiveEpochsOnDigits(samplesPerSecond: number): number {
  return (5 * 10_000) / samplesPerSecond
}

/** A WebGPU adapter in one line: "google swiftshader (SwiftShader driver 5.0.0), software". */
export function adapterLabel(a: GpuAdapterInfo): string {
  const name = [a.vendor, a.architecture].filter((s) => s && s !== 'unknown').join(' ') || 'unknown adapter'
  return `${name}${a.description ? ` (${a.description})` : ''}${a.software ? ', software' : ''}`
}
