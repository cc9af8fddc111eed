/**
 * What the main process needs of a layer type beside its shared definition (shape, parameters, settings
 * in shared/model/layers): how tfjs builds it, how it reads back from a tfjs model, and the ONNX nodes it
 * exports as. Each layer module provides these and registry.ts lists them, so a new layer type touches
 * its shared module, its module here and the two registries.
 */
import type * as tf from '@tensorflow/tfjs'
import type { InitializerName, LayerConfigs, LayerSpec, LayerType } from '../../../shared/model/types'
import type { GraphBuilder, LayerWeights, Layout, OnnxOptions } from '../export/onnx-builder'

export interface BuildOptions {
  /** Makes the Dropout layers (training uses a seeded one); not for a first layer. */
  dropout?: (rate: number) => tf.layers.Layer
}

/** Where a layer is built: the first layer also gets the model's input shape. */
export interface BuildAt {
  first: { inputShape?: number[] }
  isFirst: boolean
  options: BuildOptions
}

/** The graph so far: the tensor's name, its shape as NHWC (or flat) and how it is laid out. */
export interface OnnxState {
  x: string
  shape: number[]
  layout: Layout
}

export interface OnnxContext {
  g: GraphBuilder
  /** This layer's trained weights by their Keras names. */
  weights: LayerWeights
  index: number
  options: OnnxOptions
}

export interface MainLayer<T extends LayerType> {
  build(config: LayerConfigs[T], at: BuildAt): tf.layers.Layer
  /** The spec of a tfjs layer of this type (its class name given), for reading a built model back. */
  fromTfjs?: (config: Record<string, unknown>, init: InitializerName, className: string) => LayerSpec
  onnx(config: LayerConfigs[T], state: OnnxState, ctx: OnnxContext): OnnxState
}

export function pairOf(v: unknown): [number, number] {
  return Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]
}

/** The activation a tfjs layer's config names ('linear' when none). */
export function activationOf(c: Record<string, unknown>): LayerConfigs['Dense']['activation'] {
  return (c.activation as LayerConfigs['Dense']['activation'] | undefined) ?? 'linear'
}
