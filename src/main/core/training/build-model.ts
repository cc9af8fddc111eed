/**
 * Builds the tfjs model a spec describes, and reads a spec back from a tfjs model (the round trip the
 * tests check). Initial weights are drawn from our own seeded generator — tfjs initializers ignore seeds —
 * so the same spec and seed always start from the same weights.
 */
import * as tf from '@tensorflow/tfjs'
import { analyzeStack, canonicalSpec } from '../../../shared/model/registry'
import type { InitializerName, LayerSpec, LayerType, ModelSpec, Shape } from '../../../shared/model/types'
import { LayerError } from '../../../shared/model/types'
import { seededRandom } from '../datasets/split'
import type { BuildOptions, MainLayer } from '../layers/parts'
import { mainLayers, partsForTfjsClass } from '../layers/registry'

export type { BuildOptions } from '../layers/parts'

/** One layer as tfjs builds it, by its module's parts (main/core/layers). */
function layerFor(layer: LayerSpec, inputShape: Shape | undefined, options: BuildOptions): tf.layers.Layer {
  const at = { first: inputShape ? { inputShape: [...inputShape] } : {}, isFirst: inputShape !== undefined, options }
  return (mainLayers[layer.type] as MainLayer<LayerType>).build(layer.config as never, at)
}

/** Builds the model; throws LayerError for an impossible stack, naming the layer and the reason. */
export function buildModel(spec: ModelSpec, options: BuildOptions = {}): tf.Sequential {
  const analysis = analyzeStack(spec)
  if (analysis.firstError) {
    const where =
      analysis.firstError.index < 0
        ? 'Input'
        : `Layer ${analysis.firstError.index + 1} (${spec.layers[analysis.firstError.index]!.type})`
    throw new LayerError(`${where}: ${analysis.firstError.message}`)
  }
  if (spec.layers.length === 0) throw new LayerError('The model has no layers')
  const model = tf.sequential()
  canonicalSpec(spec).layers.forEach((layer, i) =>
    model.add(layerFor(layer, i === 0 ? spec.inputShape : undefined, options)),
  )
  return model
}

/** Draws a tensor's initial values for an initializer, using fan-in and fan-out as Keras does. */
function initialValues(name: InitializerName, shape: number[], random: () => number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1)
  const receptive = shape.length > 2 ? shape.slice(0, -2).reduce((a, b) => a * b, 1) : 1
  const fanIn = shape.length >= 2 ? shape.at(-2)! * receptive : shape[0]!
  const fanOut = shape.length >= 2 ? shape.at(-1)! * receptive : shape[0]!
  const out = new Float32Array(size)
  const uniform = (limit: number): void => {
    for (let i = 0; i < size; i++) out[i] = (random() * 2 - 1) * limit
  }
  // Truncated normal (within two standard deviations), as Keras' variance-scaling initializers use.
  const truncNormal = (stddev: number): void => {
    for (let i = 0; i < size; i++) {
      let z: number
      do {
        z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
      } while (Math.abs(z) > 2)
      out[i] = z * stddev
    }
  }
  switch (name) {
    case 'glorotUniform':
      uniform(Math.sqrt(6 / (fanIn + fanOut)))
      break
    case 'glorotNormal':
      truncNormal(Math.sqrt(2 / (fanIn + fanOut)) / 0.8796)
      break
    case 'heUniform':
      uniform(Math.sqrt(6 / fanIn))
      break
    case 'heNormal':
      truncNormal(Math.sqrt(2 / fanIn) / 0.8796)
      break
    case 'lecunNormal':
      truncNormal(Math.sqrt(1 / fanIn) / 0.8796)
      break
    case 'zeros':
      break
  }
  return out
}

/**
 * Sets every weight from the seed: kernels by their layer's initializer, biases and BatchNorm's beta and
 * moving mean to 0, gamma and moving variance to 1.
 */
export function initializeWeights(model: tf.LayersModel, spec: ModelSpec, seed: number): void {
  const random = seededRandom(seed)
  const layers = canonicalSpec(spec).layers
  // model.setWeights takes the model's own order (trainable weights first), so walk that list.
  const layerOf = new Map<tf.LayerVariable, number>()
  model.layers.forEach((tfLayer, i) => tfLayer.weights.forEach((w) => layerOf.set(w, i)))
  const values = model.weights.map((w) => {
    const layer = layers[layerOf.get(w)!]!
    const shape = w.shape as number[]
    const name = w.originalName.split('/').pop()!
    let data: Float32Array
    if (name === 'kernel') {
      data = initialValues(
        'kernelInitializer' in layer.config ? (layer.config.kernelInitializer as InitializerName) : 'glorotUniform',
        shape,
        random,
      )
    } else if (name === 'gamma' || name === 'moving_variance') {
      data = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1)
    } else {
      data = new Float32Array(shape.reduce((a, b) => a * b, 1))
    }
    return tf.tensor(data, shape)
  })
  model.setWeights(values)
  tf.dispose(values)
}

/** Reads the spec back from a tfjs model built by buildModel. */
export function specFromModel(model: tf.LayersModel, initializers: Array<InitializerName | undefined> = []): ModelSpec {
  const inputShape = (model.inputs[0]!.shape as Array<number | null>).slice(1) as number[]
  const layers = model.layers.map((layer, i): LayerSpec => {
    const parts = partsForTfjsClass(layer.getClassName())
    if (!parts?.fromTfjs) throw new Error(`No spec for tfjs layer ${layer.getClassName()}`)
    return parts.fromTfjs(
      layer.getConfig() as Record<string, unknown>,
      initializers[i] ?? 'glorotUniform',
      layer.getClassName(),
    )
  })
  return { inputShape, layers }
}
