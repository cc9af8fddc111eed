import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { layerRegistry, normalizeLayer } from '../../../shared/model/registry'
import { referenceCnn } from '../../../shared/model/reference-cnn'
import type { ModelSpec } from '../../../shared/model/types'
import { loadExport, type Preprocessing } from '../../export-runtime/runtime'
import { layerTable, tableLayerTypes } from '../../test-support/layer-table'
import { useTempDirs } from '../../test-support/temp-dir'
import { seededRandom } from '../datasets/split'
import { buildModel } from '../training/build-model'
import { writeOnnxModel, writeTfjsModel } from './model-files'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const tempDir = useTempDirs()

/** Sets every weight to seeded values that exercise it (variances positive, nothing left at 0 or 1). */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const random = seededRandom(seed)
  const values = model.weights.map((w) => {
    const shape = w.shape as number[]
    const size = shape.reduce((a, b) => a * b, 1)
    const variance = w.originalName.endsWith('moving_variance')
    return tf.tensor(
      Float32Array.from({ length: size }, () => (variance ? 0.3 + random() : (random() * 2 - 1) * 0.6)),
      shape,
    )
  })
  model.setWeights(values)
  tf.dispose(values)
}

/**
 * Exports the model in both formats with preprocessing.json saying "inputs as given" (mean 0, std 1), loads
 * each with its official runtime and returns the largest difference from tfjs' own prediction.
 */
async function roundTrip(spec: ModelSpec, seed: number): Promise<Record<'tfjs' | 'onnx', number>> {
  const model = buildModel(spec)
  randomizeWeights(model, seed)
  const dir = tempDir()
  await writeTfjsModel(model, dir, 'test')
  await writeOnnxModel(model.layers, spec, dir, { producerVersion: 'test' })
  const outShape = (model.outputs[0]!.shape as number[]).slice(1)
  const pre: Preprocessing =
    spec.inputShape.length === 3
      ? {
          kind: 'image',
          inputShape: spec.inputShape as [number, number, number],
          colorMode: 'rgb',
          resize: 'stretch',
          mean: [0],
          std: [1],
          output: 'linear',
        }
      : { kind: 'table', columns: [], featureCount: spec.inputShape[0]!, output: 'linear' }
  writeFileSync(join(dir, 'preprocessing.json'), JSON.stringify(pre))
  writeFileSync(join(dir, 'labels.json'), '[]')

  const count = 5
  const random = seededRandom(seed + 1)
  const inputs = Float32Array.from(
    { length: count * spec.inputShape.reduce((a, b) => a * b, 1) },
    () => random() * 4 - 2,
  )
  const expected = model.predict(tf.tensor(inputs, [count, ...spec.inputShape])) as tf.Tensor
  expect(expected.shape.slice(1)).toEqual(outShape)
  const want = Array.from(expected.dataSync())
  const result = { tfjs: 0, onnx: 0 }
  for (const format of ['tfjs', 'onnx'] as const) {
    const loaded = await loadExport(dir, format)
    const got = (await loaded.predict(inputs, count)).flat()
    expect(got.length, format).toBe(want.length)
    result[format] = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))
  }
  model.dispose()
  return result
}

describe('exported models predict as tfjs does', () => {
  it('covers every registered layer type', () => {
    expect(new Set(layerTable.map((t) => t.layer.type))).toEqual(tableLayerTypes(Object.keys(layerRegistry)))
  })

  it.each(layerTable.map((t, i) => [i, t.layer.type, JSON.stringify(t.layer.config), t] as const))(
    '%i: %s %s',
    async (i, _type, _config, { input, layer }) => {
      const diff = await roundTrip({ inputShape: input, layers: [normalizeLayer(layer)] }, 100 + i)
      expect(diff.tfjs).toBeLessThan(1e-5)
      expect(diff.onnx).toBeLessThan(1e-4)
    },
  )

  it('the reference CNN (Flatten after convolutions: NCHW back to NHWC before the Dense layer)', async () => {
    const diff = await roundTrip(referenceCnn, 7)
    expect(diff.onnx).toBeLessThan(1e-5)
  })

  it('image models using every layer type between them (GlobalAveragePooling2D and Flatten cannot share a stack)', async () => {
    const body = [
      { type: 'Rescaling', config: { scale: 0.5, offset: 0.1 } },
      { type: 'Conv2D', config: { filters: 6, kernelSize: 3, padding: 'same', strides: 2, activation: 'elu' } },
      { type: 'BatchNormalization', config: {} },
      { type: 'Activation', config: { activation: 'leakyRelu' } },
      { type: 'MaxPooling2D', config: { poolSize: 3, strides: 2, padding: 'same' } },
      { type: 'Dropout', config: { rate: 0.3 } },
      { type: 'AveragePooling2D', config: { poolSize: 2, padding: 'same' } },
      { type: 'Conv2D', config: { filters: 5, kernelSize: 1, activation: 'tanh' } },
    ]
    const head = [
      { type: 'Dense', config: { units: 8, activation: 'relu' } },
      { type: 'BatchNormalization', config: { epsilon: 0.01 } },
      { type: 'Dense', config: { units: 4, activation: 'softmax' } },
    ]
    const stacks = [
      [...body, { type: 'GlobalAveragePooling2D', config: {} }, ...head],
      [...body, { type: 'Flatten', config: {} }, ...head],
    ].map((s) => s.map((l) => normalizeLayer(l)))
    expect(new Set(stacks.flat().map((l) => l.type))).toEqual(tableLayerTypes(Object.keys(layerRegistry)))
    for (const [i, layers] of stacks.entries()) {
      const diff = await roundTrip({ inputShape: [19, 17, 3], layers }, 11 + i)
      expect(diff.tfjs).toBeLessThan(1e-5)
      expect(diff.onnx).toBeLessThan(1e-5)
    }
  })
})
