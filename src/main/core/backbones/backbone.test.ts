import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import { beforeAll, describe, expect, it } from 'vitest'
import { backboneParams, backbones } from '../../../shared/model/backbones'
import { analyzeStack, normalizeLayer } from '../../../shared/model/registry'
import type { ModelSpec } from '../../../shared/model/types'
import { useTempDirs } from '../../test-support/temp-dir'
import { ArchitecturesService } from '../architectures'
import { graphToOnnx } from '../export/onnx-graph'
import { seededRandom } from '../datasets/split'
import { openDatabase } from '../store/database'
import { selectEngine } from '../training/engine'
import { cutOf, loadBackbone, type LoadedBackbone } from './backbone'
import { onnxFeatureComputer } from './feature-cache'
import { buildParts } from './model-parts'

const tempDir = useTempDirs()
const info = backbones.mobilenetV2
let backbone: LoadedBackbone

beforeAll(async () => {
  await selectEngine('wasm')
  backbone = await loadBackbone('mobilenetV2')
}, 60_000)

const spec = (
  trainableBlocks: number,
  layers: ModelSpec['layers'] = [{ type: 'Dense', config: { units: 3, activation: 'softmax' } as never }],
): ModelSpec => ({
  inputShape: [224, 224, 3],
  layers: [{ type: 'Pretrained', config: { backbone: 'mobilenetV2', trainableBlocks } }, ...layers],
})

const size = (t: { shape: ReadonlyArray<number | null> }): number => t.shape.reduce<number>((a, b) => a * (b ?? 1), 1)

describe('the Pretrained layer', () => {
  it('fills its defaults and refuses bad settings, naming the value', () => {
    expect(normalizeLayer({ type: 'Pretrained' })).toEqual({
      type: 'Pretrained',
      config: { backbone: 'mobilenetV2', trainableBlocks: 0 },
    })
    expect(() => normalizeLayer({ type: 'Pretrained', config: { backbone: 'resnet50' } })).toThrow(
      'Pretrained: backbone must be one of mobilenetV2. Received: backbone="resnet50"',
    )
    for (const n of [-1, 1.5, 9, '2'])
      expect(() => normalizeLayer({ type: 'Pretrained', config: { trainableBlocks: n } })).toThrow(
        `trainableBlocks must be a whole number from 0 (frozen) to 8 (fine-tune its last 8 blocks). Received: trainableBlocks=${JSON.stringify(n)}`,
      )
    expect(() => normalizeLayer({ type: 'Pretrained', config: { frozen: true } })).toThrow(
      'Pretrained has no setting "frozen"',
    )
  })

  it('gives 1280 features from a 224×224×3 input, and must come first on that input', () => {
    const a = analyzeStack(spec(0))
    expect(a.firstError).toBeNull()
    expect(a.layers[0]!.outputShape).toEqual([1280])
    expect(a.outputShape).toEqual([3])
    expect(analyzeStack({ ...spec(0), inputShape: [150, 150, 3] }).firstError?.message).toBe(
      'Pretrained MobileNetV2 features takes (224, 224, 3) images but the input is (150, 150, 3); set the input shape to (224, 224, 3)',
    )
    const second: ModelSpec = {
      inputShape: [224, 224, 3],
      layers: [{ type: 'Rescaling', config: { scale: 1, offset: 0 } }, ...spec(0).layers],
    }
    expect(analyzeStack(second).firstError).toEqual({
      index: 1,
      message: 'Pretrained must be the first layer of the stack; it follows Rescaling',
    })
  })

  it('counts the parameters tfjs loads: 2,257,984 in the backbone, each block as its layers hold them', () => {
    expect(backbone.model.countParams()).toBe(2_257_984)
    const perBlock = new Map<string, { weights: number; statistics: number }>()
    for (const layer of backbone.model.layers) {
      const block = backbone.source.blockOf(layer.name)
      for (const w of layer.weights) {
        expect(block, `${layer.name} holds weights but belongs to no block`).not.toBeNull()
        const entry = perBlock.get(block!) ?? { weights: 0, statistics: 0 }
        if (/moving_(mean|variance)$/.test(w.originalName)) entry.statistics += size(w)
        else entry.weights += size(w)
        perBlock.set(block!, entry)
      }
    }
    expect(info.blocks.map((b) => [b.name, b.weights, b.statistics])).toEqual(
      info.blocks.map((b) => [b.name, perBlock.get(b.name)!.weights, perBlock.get(b.name)!.statistics]),
    )
  })

  it.each([0, 1, 2, 8])(
    'with %i trainable blocks, trains exactly the weights the layer counts as trainable',
    async (n) => {
      const parts = await buildParts(spec(n), 1)
      try {
        const head = 1280 * 3 + 3
        const trainable = parts.trained.trainableWeights.reduce((sum, w) => sum + size(w), 0)
        const params = backboneParams(info, n)
        expect(trainable - head).toBe(params.trainable)
        expect(params.trainable + params.nonTrainable).toBe(2_257_984)
        const a = analyzeStack(spec(n))
        expect(a.layers[0]!.params).toEqual(params)
        expect(a.trainableParams).toBe(params.trainable + head)
        // The trained part starts where the frozen part ends.
        expect((parts.trained.inputs[0]!.shape as number[]).slice(1)).toEqual(cutOf(backbone, n).shape)
      } finally {
        parts.dispose()
      }
    },
  )

  it('round-trips a spec with a backbone through JSON and a saved architecture', () => {
    const s = spec(2, [
      { type: 'Dropout', config: { rate: 0.2 } },
      { type: 'Dense', config: { units: 1, activation: 'sigmoid', useBias: true, kernelInitializer: 'glorotUniform' } },
    ])
    const normal = { inputShape: s.inputShape, layers: s.layers.map((l) => normalizeLayer(l)) }
    expect({
      inputShape: normal.inputShape,
      layers: (JSON.parse(JSON.stringify(normal)) as ModelSpec).layers.map((l) => normalizeLayer(l)),
    }).toEqual(normal)
    const db = openDatabase(tempDir())
    db.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('p', 'P', 0, 0)").run()
    const service = new ArchitecturesService(db)
    service.save('p', 'Backbone', s)
    expect(service.list('p')[0]!.spec).toEqual(normal)
    db.close()
  })
})

describe('the backbone on onnxruntime', () => {
  it('computes the same features as tfjs (within 1e-4), frozen and cut for fine-tuning', async () => {
    const random = seededRandom(3)
    const n = 3
    const x = Float32Array.from({ length: n * 224 * 224 * 3 }, () => random())
    for (const blocks of [0, 2]) {
      const cut = cutOf(backbone, blocks)
      const computer = await onnxFeatureComputer(backbone, cut)
      const got = await computer.run(x, n)
      await computer.close()
      const model =
        blocks === 0
          ? backbone.model
          : tf.model({
              inputs: backbone.model.inputs,
              outputs: backbone.model.getLayer(cut.layer).getOutputAt(0) as tf.SymbolicTensor,
            })
      const want = tf.tidy(() => (model.predict(tf.tensor(x, [n, 224, 224, 3])) as tf.Tensor).dataSync())
      expect(got.length).toBe(want.length)
      let max = 0
      for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!))
      expect(max).toBeLessThan(1e-4)
    }
  }, 60_000)

  it('writes an ONNX graph that onnxruntime loads, with the backbone’s operators', async () => {
    const bytes = graphToOnnx(backbone.model, { producerVersion: 'test' })
    const session = await ort.InferenceSession.create(bytes)
    expect(session.inputNames).toEqual(['input'])
    await session.release()
    const ops = new Set(
      [
        ...Buffer.from(bytes)
          .toString('latin1')
          .matchAll(/(Conv|Clip|Add|Pad|AveragePool|BatchNormalization)_\d+/g),
      ].map((m) => m[1]),
    )
    expect(ops).toEqual(new Set(['Conv', 'Clip', 'Add', 'Pad', 'AveragePool', 'BatchNormalization']))
  })
})
