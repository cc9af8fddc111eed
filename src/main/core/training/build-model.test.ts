import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { analyzeStack, layerRegistry, normalizeLayer } from '../../../shared/model/registry'
import type { LayerSpec, ModelSpec } from '../../../shared/model/types'
import { layerTable as table, tableLayerTypes } from '../../test-support/layer-table'
import { buildModel, initializeWeights, specFromModel } from './build-model'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('layer shapes and parameter counts match tfjs', () => {
  it('covers every registered layer type', () => {
    expect(new Set(table.map((t) => t.layer.type))).toEqual(tableLayerTypes(Object.keys(layerRegistry)))
  })

  it.each(table)('$layer.type $layer.config on $input', ({ input, layer }) => {
    const spec: ModelSpec = { inputShape: input, layers: [normalizeLayer(layer)] }
    const ours = analyzeStack(spec)
    expect(ours.firstError).toBeNull()
    const model = buildModel(spec)
    expect(ours.layers[0]!.outputShape).toEqual((model.outputs[0]!.shape as number[]).slice(1))
    expect(ours.layers[0]!.outputShape).toEqual(
      (model.layers[0]!.computeOutputShape([null, ...input]) as number[]).slice(1),
    )
    const p = ours.layers[0]!.params!
    expect(p.trainable + p.nonTrainable).toBe(model.layers[0]!.countParams())
    expect(p.trainable).toBe(
      model.layers[0]!.trainableWeights.reduce((s, w) => s + w.shape.reduce((a, b) => a! * b!, 1)!, 0),
    )
    model.dispose()
  })
})

describe('spec → tfjs model → spec', () => {
  it.each(table)('round-trips $layer.type $layer.config', ({ input, layer }) => {
    const spec: ModelSpec = { inputShape: input, layers: [normalizeLayer(layer)] }
    const model = buildModel(spec)
    const init = spec.layers.map((l) => ('kernelInitializer' in l.config ? l.config.kernelInitializer : undefined))
    expect(specFromModel(model, init)).toEqual(spec)
    model.dispose()
  })

  it('round-trips a whole network', () => {
    const layers: LayerSpec[] = [
      normalizeLayer({ type: 'Rescaling', config: {} }),
      normalizeLayer({ type: 'Conv2D', config: { filters: 8, kernelInitializer: 'heNormal' } }),
      normalizeLayer({ type: 'BatchNormalization', config: {} }),
      normalizeLayer({ type: 'MaxPooling2D', config: {} }),
      normalizeLayer({ type: 'GlobalAveragePooling2D', config: {} }),
      normalizeLayer({ type: 'Dropout', config: { rate: 0.3 } }),
      normalizeLayer({ type: 'Dense', config: { units: 3, activation: 'softmax' } }),
    ]
    const spec: ModelSpec = { inputShape: [16, 16, 3], layers }
    const model = buildModel(spec)
    expect(
      specFromModel(
        model,
        layers.map((l) => ('kernelInitializer' in l.config ? l.config.kernelInitializer : undefined)),
      ),
    ).toEqual(spec)
    expect(analyzeStack(spec).totalParams).toBe(model.countParams())
    model.dispose()
  })

  it('refuses an impossible stack before building, naming the layer', () => {
    expect(() =>
      buildModel({
        inputShape: [8, 8, 1],
        layers: [normalizeLayer({ type: 'Flatten', config: {} }), normalizeLayer({ type: 'MaxPooling2D', config: {} })],
      }),
    ).toThrow(
      'Layer 2 (MaxPooling2D): MaxPooling2D needs a 3-D input (height, width, channels) but follows Flatten, whose output is (64)',
    )
  })
})

describe('seeded initial weights', () => {
  const spec: ModelSpec = {
    inputShape: [6, 6, 1],
    layers: [
      normalizeLayer({ type: 'Conv2D', config: { filters: 4 } }),
      normalizeLayer({ type: 'BatchNormalization', config: {} }),
      normalizeLayer({ type: 'Flatten', config: {} }),
      normalizeLayer({ type: 'Dense', config: { units: 2, kernelInitializer: 'heUniform' } }),
    ],
  }
  const weightsFor = (seed: number): number[][] => {
    const model = buildModel(spec)
    initializeWeights(model, spec, seed)
    const out = model.getWeights().map((w) => Array.from(w.dataSync()))
    model.dispose()
    return out
  }

  it('gives the same weights for the same seed and others for another seed', () => {
    expect(weightsFor(7)).toEqual(weightsFor(7))
    expect(weightsFor(7)[0]).not.toEqual(weightsFor(8)[0])
  })

  it('follows the initializers: Glorot and He limits, zero biases, BatchNorm gamma and variance 1', () => {
    // tfjs orders weights trainable first: conv kernel, bias, gamma, beta, dense kernel, bias, then moving mean and variance.
    const [kernel, bias, gamma, beta, dense, , mean, variance] = weightsFor(1)
    const glorot = Math.sqrt(6 / (9 * 1 + 9 * 4))
    expect(Math.max(...kernel!.map(Math.abs))).toBeLessThanOrEqual(glorot)
    expect(Math.max(...kernel!.map(Math.abs))).toBeGreaterThan(glorot * 0.8)
    expect(bias).toEqual([0, 0, 0, 0])
    expect(gamma).toEqual([1, 1, 1, 1])
    expect(beta).toEqual([0, 0, 0, 0])
    expect(mean).toEqual([0, 0, 0, 0])
    expect(variance).toEqual([1, 1, 1, 1])
    expect(Math.max(...dense!.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 64))
  })
})
