/**
 * The layer registry and the stack analysis the Model page shows live: each layer's output shape and
 * parameter count, and the first layer that cannot follow its input, with the reason.
 */
import { conv2d } from './layers/conv2d'
import { dense } from './layers/dense'
import { averagePooling2d, maxPooling2d } from './layers/pooling'
import { flatten, globalAveragePooling2d } from './layers/reshape-layers'
import { pretrained } from './layers/pretrained'
import { rescaling } from './layers/rescaling'
import { activation, batchNormalization, dropout } from './layers/simple-layers'
import { backbones } from './backbones'
import {
  formatShape,
  LayerError,
  type LayerConfigs,
  type LayerDefinition,
  type LayerSpec,
  type LayerType,
  type ModelSpec,
  type ParamCount,
  type Shape,
} from './types'
import { messageOf } from '../messages'

export const layerRegistry: { [T in LayerType]: LayerDefinition<T> } = {
  Pretrained: pretrained,
  Rescaling: rescaling,
  Conv2D: conv2d,
  MaxPooling2D: maxPooling2d,
  AveragePooling2D: averagePooling2d,
  GlobalAveragePooling2D: globalAveragePooling2d,
  Flatten: flatten,
  Dense: dense,
  Dropout: dropout,
  BatchNormalization: batchNormalization,
  Activation: activation,
}

export const layerTypes = Object.keys(layerRegistry) as LayerType[]

export function isLayerType(t: unknown): t is LayerType {
  return typeof t === 'string' && Object.prototype.hasOwnProperty.call(layerRegistry, t)
}

/** A layer with defaults filled in and every field checked (throws LayerError). */
export function normalizeLayer(layer: { type: unknown; config?: unknown }): LayerSpec {
  if (!isLayerType(layer.type))
    throw new LayerError(`Unknown layer type ${JSON.stringify(layer.type)}; known: ${layerTypes.join(', ')}`)
  const config = (layer.config ?? {}) as Record<string, unknown>
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new LayerError(`${layer.type}: config must be an object`)
  const def = layerRegistry[layer.type] as LayerDefinition<LayerType>
  // An empty value is not "the default": a setting left out gets its default, one sent as null is refused.
  const defaults = def.defaults as Record<string, unknown>
  for (const [key, v] of Object.entries(config)) {
    if (v === null && key in defaults && defaults[key] !== null) {
      throw new LayerError(
        `${layer.type}: ${key} cannot be empty; leave it out for the default (${JSON.stringify(defaults[key])}). Received: ${key}=null`,
      )
    }
  }
  return { type: layer.type, config: def.normalize(config) } as LayerSpec
}

declare const canonicalBrand: unique symbol
/**
 * A model spec whose every layer is normalised (defaults filled in, every field checked): what the
 * contract's schema yields at the boundary, what is stored with a run, what the trainer receives. The
 * analysis and the builders read its layers as they are instead of normalising them again.
 */
export type CanonicalSpec = ModelSpec & { readonly [canonicalBrand]: true }

// The brand at run time, so the analysis can tell a canonical spec from a draft without a flag.
const canonicalSpecs = new WeakSet<object>()

/** Normalises every layer once; throws a LayerError with the first layer's problem. */
export function canonicalSpec(raw: {
  inputShape: readonly number[]
  layers: ReadonlyArray<{ type: unknown; config?: unknown }>
}): CanonicalSpec {
  if (isCanonical(raw as ModelSpec)) return raw as CanonicalSpec
  return trustedSpec({ inputShape: [...raw.inputShape], layers: raw.layers.map((l) => normalizeLayer(l)) })
}

/** A spec that was canonical when it was written (a run's stored spec, a job the core sent), as one again. */
export function trustedSpec(spec: ModelSpec): CanonicalSpec {
  canonicalSpecs.add(spec)
  return spec as CanonicalSpec
}

/** A spec as stored (a run's, an architecture's), normalised again: it may predate a layer setting's default. */
export function storedSpec(json: string): CanonicalSpec {
  return canonicalSpec(JSON.parse(json) as ModelSpec)
}

export function isCanonical(spec: ModelSpec): spec is CanonicalSpec {
  return canonicalSpecs.has(spec)
}

/** A layer as the analysis reads it: as it is in a canonical spec, normalised (or refused) in a draft. */
function layerOf(spec: ModelSpec, index: number): LayerSpec {
  return isCanonical(spec) ? spec.layers[index]! : normalizeLayer(spec.layers[index]!)
}

export interface LayerAnalysis {
  /** Null when the layer cannot be analysed (it, or a layer before it, has an error). */
  outputShape: Shape | null
  params: ParamCount | null
  error: string | null
}

export interface StackAnalysis {
  layers: LayerAnalysis[]
  outputShape: Shape | null
  totalParams: number
  trainableParams: number
  /** The first error, with the index of its layer (-1 for the input shape). */
  firstError: { index: number; message: string } | null
}

export function checkInputShape(shape: Shape): string | null {
  if (shape.length === 0 || shape.length > 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    return `The input shape must be 1 to 3 positive whole numbers, e.g. (28, 28, 1) or (4). Received: ${formatShape(shape)}`
  }
  return null
}

export function analyzeStack(spec: ModelSpec): StackAnalysis {
  const layers: LayerAnalysis[] = []
  let shape: Shape | null = spec.inputShape
  let firstError: StackAnalysis['firstError'] = null
  const inputError = checkInputShape(spec.inputShape)
  if (inputError) {
    firstError = { index: -1, message: inputError }
    shape = null
  }
  let total = 0
  let trainable = 0
  spec.layers.forEach((_layer, index) => {
    if (shape === null) {
      layers.push({ outputShape: null, params: null, error: null })
      return
    }
    try {
      const normal = layerOf(spec, index)
      const def = layerRegistry[normal.type] as LayerDefinition<LayerType>
      const previous: string = index === 0 ? 'the input' : spec.layers[index - 1]!.type
      if (def.firstOnly && index > 0)
        throw new LayerError(`${normal.type} must be the first layer of the stack; it follows ${previous}`)
      let out: Shape
      try {
        out = def.outputShape(shape, normal.config)
      } catch (err) {
        // Say what the layer follows, as Keras users expect: "... but follows Flatten, whose output is (6272)".
        if (err instanceof LayerError && /but its input is/.test(err.message)) {
          throw new LayerError(
            err.message.replace(
              /but its input is (\([^)]*\))/,
              index === 0 ? 'but the input is $1' : `but follows ${previous}, whose output is $1`,
            ),
          )
        }
        throw err
      }
      const params = def.params(shape, normal.config)
      total += params.trainable + params.nonTrainable
      trainable += params.trainable
      layers.push({ outputShape: out, params, error: null })
      shape = out
    } catch (err) {
      const message = messageOf(err)
      layers.push({ outputShape: null, params: null, error: message })
      firstError ??= { index, message }
      shape = null
    }
  })
  return { layers, outputShape: shape, totalParams: total, trainableParams: trainable, firstError }
}

/** The pretrained backbone a spec starts with, if any. */
export function backboneConfig(spec: ModelSpec): LayerConfigs['Pretrained'] | null {
  const first = spec.layers.length > 0 ? layerOf(spec, 0) : undefined
  return first?.type === 'Pretrained' ? first.config : null
}

/** The layers after a backbone as a spec of their own, whose input is the backbone's features. */
export function headSpec(spec: ModelSpec): ModelSpec | null {
  const config = backboneConfig(spec)
  if (!config) return null
  const head: ModelSpec = { inputShape: [backbones[config.backbone].features], layers: spec.layers.slice(1) }
  return isCanonical(spec) ? trustedSpec(head) : head
}

/**
 * The activation a stack's output ends with: that of the last Dense or Activation layer, when only
 * Dropout (the identity when predicting) follows it; 'linear' otherwise.
 */
export function outputActivation(spec: ModelSpec): { activation: string; index: number } {
  for (let i = spec.layers.length - 1; i >= 0; i--) {
    const layer = layerOf(spec, i)
    if (layer.type === 'Dense' || layer.type === 'Activation') return { activation: layer.config.activation, index: i }
    if (layer.type !== 'Dropout') return { activation: 'linear', index: i }
  }
  return { activation: 'linear', index: -1 }
}

/**
 * The one rule for an output's size, for the stacker, the core and the trainer: one unit for a number,
 * one per class (or a single sigmoid unit for two). Null when it fits; `classes` as names adds them.
 */
export function outputUnitsProblem(
  units: number,
  task: 'classification' | 'regression',
  classes: number | readonly string[],
): string | null {
  const n = typeof classes === 'number' ? classes : classes.length
  if (task === 'regression')
    return units === 1 ? null : `The last layer has ${units} units; predicting a number needs 1`
  if (units === n || (n === 2 && units === 1)) return null
  return `The last layer has ${units} units but the data has ${n} classes${typeof classes === 'number' ? '' : ` (${classes.join(', ')})`}`
}

/** Null when the output's activation suits the task; else what is wrong and what it needs. */
export function outputActivationProblem(
  spec: ModelSpec,
  task: 'classification' | 'regression',
  classes: number,
): string | null {
  const units = analyzeStack(spec).outputShape?.at(-1)
  if (units === undefined) return null
  const { activation, index } = outputActivation(spec)
  const where = index >= 0 ? `layer ${index + 1} (${spec.layers[index]!.type})` : 'the output'
  const want = task === 'regression' ? 'linear' : units === 1 && classes === 2 ? 'sigmoid' : 'softmax'
  if (activation === want) return null
  const why =
    task === 'regression'
      ? 'predicting a number needs a linear output'
      : want === 'sigmoid'
        ? 'one output unit for two classes needs sigmoid (the probability of the second)'
        : 'a classifier’s output needs softmax (one probability per class)'
  return `The output ends with ${activation} at ${where}, but ${why}: set its activation to ${want}`
}
