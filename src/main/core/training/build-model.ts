/**
 * Builds the tfjs model a spec describes, and reads a spec back from a tfjs model (the round trip the
 * tests check). Initial weights are drawn from our own seeded generator — tfjs initializers ignore seeds —
 * so the same spec and seed always start from the same weights.
 */
import * as tf from '@tensorflow/tfjs'
import { analyzeStack, canonicalSpec } from '../../../shared/model/registry'
import type { ActivationName, InitializerName, LayerSpec, ModelSpec, Shape } from '../../../shared/model/types'
import { LayerError } from '../../../shared/model/types'
import { seededRandom } from '../datasets/split'

function layerFor(layer: LayerSpec, inputShape: Shape | undefined, options: BuildOptions): tf.layers.Layer {
  const first = inputShape ? { inputShape: [...inputShape] } : {}
  switch (layer.type) {
    case 'Pretrained':
      throw new LayerError(
        'A pretrained backbone is loaded by the trainer (backbones/model-parts), not built from a spec',
      )
    case 'Rescaling':
      return tf.layers.rescaling({ ...first, scale: layer.config.scale, offset: layer.config.offset })
    case 'Conv2D': {
      const c = layer.config
      return tf.layers.conv2d({
        ...first,
        filters: c.filters,
        kernelSize: c.kernelSize,
        strides: c.strides,
        padding: c.padding,
        activation: c.activation,
        useBias: c.useBias,
      })
    }
    case 'MaxPooling2D':
      return tf.layers.maxPooling2d({
        ...first,
        poolSize: layer.config.poolSize,
        strides: layer.config.strides ?? layer.config.poolSize,
        padding: layer.config.padding,
      })
    case 'AveragePooling2D':
      return tf.layers.averagePooling2d({
        ...first,
        poolSize: layer.config.poolSize,
        strides: layer.config.strides ?? layer.config.poolSize,
        padding: layer.config.padding,
      })
    case 'GlobalAveragePooling2D':
      return tf.layers.globalAveragePooling2d({ ...first })
    case 'Flatten':
      return tf.layers.flatten({ ...first })
    case 'Dense':
      return tf.layers.dense({
        ...first,
        units: layer.config.units,
        activation: layer.config.activation,
        useBias: layer.config.useBias,
      })
    case 'Dropout':
      return options.dropout && !inputShape
        ? options.dropout(layer.config.rate)
        : tf.layers.dropout({ ...first, rate: layer.config.rate })
    case 'BatchNormalization':
      return tf.layers.batchNormalization({ ...first, momentum: layer.config.momentum, epsilon: layer.config.epsilon })
    case 'Activation':
      return layer.config.activation === 'leakyRelu'
        ? tf.layers.leakyReLU({ ...first })
        : tf.layers.activation({ ...first, activation: layer.config.activation })
  }
}

export interface BuildOptions {
  /** Makes the Dropout layers (training uses a seeded one); not for a first layer. */
  dropout?: (rate: number) => tf.layers.Layer
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

function pairOf(v: unknown): [number, number] {
  return Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]
}

/** Reads the spec back from a tfjs model built by buildModel. */
export function specFromModel(model: tf.LayersModel, initializers: Array<InitializerName | undefined> = []): ModelSpec {
  const inputShape = (model.inputs[0]!.shape as Array<number | null>).slice(1) as number[]
  const layers = model.layers.map((layer, i): LayerSpec => {
    const c = layer.getConfig() as Record<string, unknown>
    const act = (c.activation as ActivationName | undefined) ?? 'linear'
    const init = initializers[i] ?? 'glorotUniform'
    switch (layer.getClassName()) {
      case 'Rescaling':
        return { type: 'Rescaling', config: { scale: c.scale as number, offset: c.offset as number } }
      case 'Conv2D':
        return {
          type: 'Conv2D',
          config: {
            filters: c.filters as number,
            kernelSize: pairOf(c.kernelSize),
            strides: pairOf(c.strides),
            padding: c.padding as 'valid' | 'same',
            activation: act,
            useBias: c.useBias as boolean,
            kernelInitializer: init,
          },
        }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const poolSize = pairOf(c.poolSize)
        const strides = pairOf(c.strides)
        return {
          type: layer.getClassName() as 'MaxPooling2D',
          config: {
            poolSize,
            strides: strides[0] === poolSize[0] && strides[1] === poolSize[1] ? null : strides,
            padding: c.padding as 'valid' | 'same',
          },
        }
      }
      case 'GlobalAveragePooling2D':
        return { type: 'GlobalAveragePooling2D', config: {} }
      case 'Flatten':
        return { type: 'Flatten', config: {} }
      case 'Dense':
        return {
          type: 'Dense',
          config: { units: c.units as number, activation: act, useBias: c.useBias as boolean, kernelInitializer: init },
        }
      case 'Dropout':
        return { type: 'Dropout', config: { rate: c.rate as number } }
      case 'BatchNormalization':
        return { type: 'BatchNormalization', config: { momentum: c.momentum as number, epsilon: c.epsilon as number } }
      case 'Activation':
        return { type: 'Activation', config: { activation: act } }
      case 'LeakyReLU':
        return { type: 'Activation', config: { activation: 'leakyRelu' } }
      default:
        throw new Error(`No spec for tfjs layer ${layer.getClassName()}`)
    }
  })
  return { inputShape, layers }
}
