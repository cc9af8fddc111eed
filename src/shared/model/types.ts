/**
 * Model specs as data: an input shape plus an ordered stack of layers `{ type, config }` with Keras names.
 * Shapes leave out the batch dimension: `[28, 28, 1]` is a 28×28 grey image, `[64]` a vector.
 */
import type { BackboneId } from './backbones'

export type Shape = readonly number[]

export const activations = ['linear', 'relu', 'sigmoid', 'softmax', 'tanh', 'elu'] as const
export type ActivationName = (typeof activations)[number]
/** The Activation layer also offers leaky ReLU, which tfjs has as a layer of its own. */
export const layerActivations = [...activations, 'leakyRelu'] as const
export type LayerActivationName = (typeof layerActivations)[number]

export const initializers = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'lecunNormal', 'zeros'] as const
export type InitializerName = (typeof initializers)[number]

export type Padding = 'valid' | 'same'
export type Pair = [number, number]

export interface LayerConfigs {
  Pretrained: { backbone: BackboneId; trainableBlocks: number }
  Rescaling: { scale: number; offset: number }
  Conv2D: {
    filters: number
    kernelSize: Pair
    strides: Pair
    padding: Padding
    activation: ActivationName
    useBias: boolean
    kernelInitializer: InitializerName
  }
  MaxPooling2D: { poolSize: Pair; strides: Pair | null; padding: Padding }
  AveragePooling2D: { poolSize: Pair; strides: Pair | null; padding: Padding }
  GlobalAveragePooling2D: Record<string, never>
  Flatten: Record<string, never>
  Dense: { units: number; activation: ActivationName; useBias: boolean; kernelInitializer: InitializerName }
  Dropout: { rate: number }
  BatchNormalization: { momentum: number; epsilon: number }
  Activation: { activation: LayerActivationName }
}

export type LayerType = keyof LayerConfigs
export type LayerSpec = { [T in LayerType]: { type: T; config: LayerConfigs[T] } }[LayerType]

export interface ModelSpec {
  inputShape: Shape
  layers: LayerSpec[]
}

export type LayerGroup =
  'pretrained' | 'preprocess' | 'convolution' | 'pooling' | 'core' | 'regularisation' | 'normalisation'

/** Raised by validation and shape functions; the message names the bad value. */
export class LayerError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LayerError'
  }
}

export interface ParamCount {
  trainable: number
  nonTrainable: number
}

/** One layer type: its defaults, how its config is checked and normalised, and its shape arithmetic. */
export interface LayerDefinition<T extends LayerType> {
  type: T
  group: LayerGroup
  /** One line in plain language, for the palette. */
  purpose: string
  /** Only allowed as the first layer of a stack. */
  firstOnly?: true
  defaults: LayerConfigs[T]
  /** Fills defaults and checks every field; throws LayerError naming the bad value. */
  normalize(config: Partial<Record<string, unknown>>): LayerConfigs[T]
  /** Throws LayerError when the input shape does not suit the layer. */
  outputShape(input: Shape, config: LayerConfigs[T]): Shape
  params(input: Shape, config: LayerConfigs[T]): ParamCount
}

export function formatShape(shape: Shape): string {
  return `(${shape.join(', ')})`
}
