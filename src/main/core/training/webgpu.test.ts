/**
 * The webgpu engine against the reference cpu backend, kernel by kernel: every layer type of the registry
 * (forward pass, gradients of its weights and of its input, in training mode), the backbone's depthwise
 * convolutions, and every optimizer's update. Runs on whatever adapter WebGPU finds; on a machine without
 * a graphics card, Chromium's SwiftShader (a software Vulkan driver). Skipped, with the reason printed, only
 * where no adapter can be created.
 */
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import {
  activations,
  layerActivations,
  type LayerSpec,
  type LayerType,
  type ModelSpec,
} from '../../../shared/model/types'
import { hyperparametersSchema, optimizers } from '../../../shared/training'
import { useSwiftShader } from '../../test-support/swiftshader'
import { seededRandom } from '../datasets/split'
import { buildModel, initializeWeights } from './build-model'
import { selectEngine } from './engine'
import { SeededDropout } from './step-parts'
import { makeOptimizer } from './trainer'
import { adapterLabel, isSoftwareAdapter, limitMessage, limitProblem } from './webgpu'
import { cutOf, loadBackbone } from '../backbones/backbone'
import { featureComputerFor, onnxFeatureComputer } from '../backbones/feature-cache'

const swiftShader = useSwiftShader()
const started = await selectEngine('webgpu').then(
  (receipt) => ({ ok: true as const, receipt }),
  (err: unknown) => ({ ok: false as const, why: err instanceof Error ? err.message : String(err) }),
)
if (!started.ok)
  console.log(
    `webgpu kernels: SKIPPED, no WebGPU adapter could be created (${started.why})${swiftShader.ok ? '' : `; ${swiftShader.why}`}`,
  )
else console.log(`webgpu kernels: on ${adapterLabel(started.receipt.adapter!)}`)

/** Largest difference between two arrays, relative to the larger magnitude (floors at 1). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)))
  return m
}

/** Runs `fn` on a backend and returns its tensors' values. */
async function on(backend: 'cpu' | 'webgpu', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend)
  const out = tf.tidy(fn)
  const values = await Promise.all(out.map(async (t) => Float32Array.from(await t.data())))
  tf.dispose(out)
  return values
}

function randomValues(shape: number[], seed: number): Float32Array {
  const r = seededRandom(seed)
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1)
}

const image = [7, 7, 3]
const conv = (config: Record<string, unknown>): LayerSpec => ({ type: 'Conv2D', config: config as never })
const head: LayerSpec[] = [
  { type: 'Flatten', config: {} },
  { type: 'Dense', config: { units: 4, activation: 'softmax' } as never },
]

/**
 * Stacks that exercise each layer type; keyed by the registry's types, so a new layer without a case here
 * does not compile. The Pretrained backbone's forward pass and fine-tuning are its depthwise and pointwise
 * convolutions, batch normalisation and relu6, covered below and by its own tests.
 */
const stacks: Record<Exclude<LayerType, 'Pretrained'>, Array<{ name: string; spec: ModelSpec }>> = {
  Conv2D: [
    {
      name: '3×3 valid relu',
      spec: { inputShape: image, layers: [conv({ filters: 5, kernelSize: [3, 3] }), ...head] },
    },
    {
      name: '3×3 same stride 2 tanh',
      spec: {
        inputShape: image,
        layers: [
          conv({ filters: 4, kernelSize: [3, 3], strides: [2, 2], padding: 'same', activation: 'tanh' }),
          ...head,
        ],
      },
    },
    {
      name: '1×1 sigmoid',
      spec: { inputShape: image, layers: [conv({ filters: 6, kernelSize: [1, 1], activation: 'sigmoid' }), ...head] },
    },
    {
      name: '5×3 no bias',
      spec: { inputShape: image, layers: [conv({ filters: 3, kernelSize: [5, 3], useBias: false }), ...head] },
    },
  ],
  MaxPooling2D: [
    { name: '2×2', spec: { inputShape: image, layers: [{ type: 'MaxPooling2D', config: {} as never }, ...head] } },
    {
      name: '3×3 stride 2 same',
      spec: {
        inputShape: image,
        layers: [
          { type: 'MaxPooling2D', config: { poolSize: [3, 3], strides: [2, 2], padding: 'same' } as never },
          ...head,
        ],
      },
    },
  ],
  AveragePooling2D: [
    { name: '2×2', spec: { inputShape: image, layers: [{ type: 'AveragePooling2D', config: {} as never }, ...head] } },
  ],
  GlobalAveragePooling2D: [
    {
      name: 'after a conv',
      spec: {
        inputShape: image,
        layers: [
          conv({ filters: 6, kernelSize: [3, 3] }),
          { type: 'GlobalAveragePooling2D', config: {} },
          { type: 'Dense', config: { units: 3, activation: 'softmax' } as never },
        ],
      },
    },
  ],
  Flatten: [{ name: 'then dense', spec: { inputShape: image, layers: head } }],
  Dense: activations.map((activation) => ({
    name: activation,
    spec: {
      inputShape: [12],
      layers: [
        { type: 'Dense', config: { units: 8, activation } as never },
        { type: 'Dense', config: { units: 3, activation: 'softmax' } as never },
      ],
    },
  })),
  Dropout: [
    {
      name: 'rate 0.5, seeded mask',
      // After a layer: the seeded Dropout is what training builds there (a first layer keeps tfjs' own).
      spec: {
        inputShape: [12],
        layers: [
          { type: 'Dense', config: { units: 10, activation: 'relu' } as never },
          { type: 'Dropout', config: { rate: 0.5 } },
          head[1]!,
        ],
      },
    },
  ],
  BatchNormalization: [
    {
      name: 'after a conv (batch statistics)',
      spec: {
        inputShape: image,
        layers: [
          conv({ filters: 4, kernelSize: [3, 3] }),
          { type: 'BatchNormalization', config: {} as never },
          ...head,
        ],
      },
    },
    {
      name: 'on features',
      spec: { inputShape: [12], layers: [{ type: 'BatchNormalization', config: {} as never }, head[1]!] },
    },
  ],
  Activation: layerActivations.map((activation) => ({
    name: activation,
    spec: {
      inputShape: [12],
      layers: [{ type: 'Activation', config: { activation } }, head[1]!],
    },
  })),
  Rescaling: [
    {
      name: 'then a conv',
      spec: {
        inputShape: image,
        layers: [
          { type: 'Rescaling', config: { scale: 0.5, offset: -0.25 } },
          conv({ filters: 2, kernelSize: [3, 3] }),
          ...head,
        ],
      },
    },
  ],
}

const cases = Object.entries(stacks).flatMap(([type, list]) => list.map((c) => ({ type, ...c })))

describe.skipIf(!started.ok)('webgpu kernels match the cpu backend', () => {
  it.each(cases)('$type ($name): output, weight and input gradients', async ({ spec }) => {
    const batch = 4
    const xValues = randomValues([batch, ...spec.inputShape], 1)
    const labels = Array.from({ length: batch }, (_, i) => i % 3)
    const run = (): tf.Tensor[] => {
      const model = buildModel(spec, { dropout: (rate) => new SeededDropout(rate, () => 42) })
      initializeWeights(model, spec, 3)
      const x = tf.tensor(xValues, [batch, ...spec.inputShape])
      const units = (model.outputs[0]!.shape as number[]).at(-1)!
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), units).cast('float32')
      const loss = (input: tf.Tensor): tf.Scalar =>
        tf.losses.softmaxCrossEntropy(y, model.apply(input, { training: true }) as tf.Tensor) as tf.Scalar
      const output = model.apply(x, { training: true }) as tf.Tensor
      const { grads } = tf.variableGrads(() => loss(x))
      const dx = tf.grad((input: tf.Tensor) => loss(input))(x)
      const out = [output, dx, ...model.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name]!)]
      model.dispose()
      return out
    }
    const cpu = await on('cpu', run)
    const gpu = await on('webgpu', run)
    expect(gpu).toHaveLength(cpu.length)
    cpu.forEach((values, i) => expect(maxRelDiff(gpu[i]!, values), `tensor ${i}`).toBeLessThan(1e-4))
  })

  it.each([
    { x: [2, 9, 9, 4], f: [3, 3], stride: 1, pad: 'same' as const },
    { x: [2, 9, 9, 4], f: [3, 3], stride: 2, pad: 'same' as const },
    { x: [1, 8, 8, 6], f: [3, 3], stride: 1, pad: 'valid' as const },
  ])(
    'depthwise conv (the backbone) x=$x stride=$stride pad=$pad with gradients and relu6',
    async ({ x, f, stride, pad }) => {
      const xv = randomValues(x, 4)
      const wv = randomValues([f[0]!, f[1]!, x[3]!, 1], 5)
      const run = (): tf.Tensor[] => {
        const xs = tf.tensor4d(xv, x as [number, number, number, number])
        const ws = tf.tensor4d(wv, [f[0]!, f[1]!, x[3]!, 1])
        const forward = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
          tf.relu6(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))
        const y = forward(xs, ws)
        const dy = tf.tensor(randomValues(y.shape, 6), y.shape)
        return [y, ...tf.grads((a: tf.Tensor, b: tf.Tensor) => forward(a, b).mul(dy).sum())([xs, ws])]
      }
      const cpu = await on('cpu', run)
      const gpu = await on('webgpu', run)
      cpu.forEach((values, i) => expect(maxRelDiff(gpu[i]!, values), `tensor ${i}`).toBeLessThan(1e-4))
    },
  )

  it('computes a backbone’s features on the graphics card as onnxruntime does (within 1e-3), frozen and cut', async () => {
    await tf.setBackend('cpu')
    const backbone = await loadBackbone('mobilenetV2')
    const n = 2
    const x = randomValues([n, 224, 224, 3], 9).map((v) => (v + 1) / 2)
    const cuts = [0, 2].map((blocks) => cutOf(backbone, blocks))
    const wanted: Float32Array[] = []
    for (const cut of cuts) {
      const reference = await onnxFeatureComputer(backbone, cut)
      wanted.push(await reference.run(x, n))
      await reference.close()
    }
    // The weights move to the graphics card on first use there.
    await tf.setBackend('webgpu')
    for (const [i, cut] of cuts.entries()) {
      const gpu = await featureComputerFor('webgpu', backbone, cut)
      expect(gpu.variant).toBe('webgpu')
      expect(maxRelDiff(await gpu.run(x, n), wanted[i]!)).toBeLessThan(1e-3)
    }
    backbone.model.dispose()
  }, 300_000)

  it.each([...optimizers])('%s: three updates give the same weights', async (optimizer) => {
    const w0 = randomValues([6, 4], 7)
    const x = randomValues([5, 6], 8)
    const run = (): tf.Tensor[] => {
      const w = tf.variable(tf.tensor2d(w0, [6, 4]))
      const opt = makeOptimizer(hyperparametersSchema.parse({ optimizer, learningRate: 0.05 }))
      const xs = tf.tensor2d(x, [5, 6])
      for (let i = 0; i < 3; i++) opt.minimize(() => tf.sum(tf.square(tf.sub(tf.matMul(xs, w), 0.5))) as tf.Scalar)
      const out = w.clone()
      opt.dispose()
      w.dispose()
      return [out]
    }
    const cpu = await on('cpu', run)
    const gpu = await on('webgpu', run)
    expect(maxRelDiff(gpu[0]!, cpu[0]!)).toBeLessThan(1e-5)
  })
})

describe('adapter limits', () => {
  const limits = { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 }
  const big: ModelSpec = {
    inputShape: [128, 128, 3],
    layers: [conv({ filters: 64, kernelSize: [3, 3], padding: 'same' }), ...head],
  }

  it('refuses a batch whose activations pass maxStorageBufferBindingSize, naming the limit and a batch that fits', async () => {
    await tf.setBackend('cpu')
    const model = buildModel(big)
    // 128×128×64 floats = 4 MiB an image: 32 fit in 128 MiB, 64 do not.
    expect(limitProblem(model, 32, limits)).toBeNull()
    const problem = limitProblem(model, 64, limits)!
    expect(problem).toMatchObject({
      what: 'the output of layer 1 (Conv2D)',
      bytes: 64 * 128 * 128 * 64 * 4,
      limit: 'maxStorageBufferBindingSize',
      largestBatch: 32,
    })
    expect(limitMessage(problem, 'acme gpu')).toBe(
      "This model does not fit the graphics card (acme gpu): the output of layer 1 (Conv2D) needs 256 MiB in one buffer, more than the adapter's maxStorageBufferBindingSize of 128 MiB. Use a batch size of at most 32, smaller images or fewer filters, or train on the processor.",
    )
    model.dispose()
  })

  it('names maxBufferSize when it is the smaller limit, and a weight too big for any batch', async () => {
    await tf.setBackend('cpu')
    const model = buildModel({ inputShape: [4096], layers: [{ type: 'Dense', config: { units: 4096 } as never }] })
    const problem = limitProblem(model, 1, { maxBufferSize: 32 * 2 ** 20, maxStorageBufferBindingSize: 2 ** 30 })!
    expect(problem).toMatchObject({ what: 'the weights of layer 1 (Dense)', limit: 'maxBufferSize', largestBatch: 0 })
    expect(limitMessage(problem, 'x')).toContain('Make the layer smaller or train on the processor.')
    model.dispose()
  })

  it('tells software adapters from graphics cards', () => {
    const base = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader driver 5.0.0' }
    expect(isSoftwareAdapter(base)).toBe(true)
    expect(
      isSoftwareAdapter({ ...base, vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }),
    ).toBe(true)
    expect(
      isSoftwareAdapter({ vendor: 'apple', architecture: 'metal-3', device: '', description: 'Metal driver' }),
    ).toBe(false)
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', device: 'RTX 3060', description: '' })).toBe(
      false,
    )
    expect(
      isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', device: '', description: '', fallback: true }),
    ).toBe(true)
  })
})
