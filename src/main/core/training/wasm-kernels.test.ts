import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectEngine } from './engine'
import { seededRandom } from '../datasets/split'

/** Runs `fn` on a backend and returns its results as plain arrays. */
async function on(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend)
  return tf.tidy(fn).map((t) => {
    const v = t.dataSync() as Float32Array
    t.dispose()
    return v
  })
}

function randomTensor(shape: number[], seed: number): () => tf.Tensor {
  const r = seededRandom(seed)
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1)
  return () => tf.tensor(values, shape)
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

const cases: Array<{
  x: [number, number, number, number]
  f: [number, number]
  cout: number
  stride: number | [number, number]
  pad: 'same' | 'valid'
}> = [
  { x: [2, 7, 7, 3], f: [3, 3], cout: 4, stride: 1, pad: 'same' },
  { x: [2, 7, 7, 3], f: [3, 3], cout: 4, stride: 1, pad: 'valid' },
  { x: [1, 9, 8, 2], f: [3, 3], cout: 5, stride: 2, pad: 'same' },
  { x: [1, 9, 8, 2], f: [3, 3], cout: 5, stride: 2, pad: 'valid' },
  { x: [3, 10, 11, 4], f: [5, 5], cout: 2, stride: 3, pad: 'same' },
  { x: [2, 6, 9, 1], f: [2, 4], cout: 3, stride: [1, 2], pad: 'valid' },
  { x: [1, 12, 12, 6], f: [1, 1], cout: 8, stride: 1, pad: 'valid' },
  { x: [4, 28, 28, 1], f: [3, 3], cout: 16, stride: 1, pad: 'valid' },
]

describe('wasm training kernels match the cpu backend', () => {
  beforeAll(async () => {
    expect((await selectEngine('wasm')).engine).toBe('wasm')
  })

  it.each(cases)(
    'conv2d gradients for x=$x filter=$f cout=$cout stride=$stride pad=$pad',
    async ({ x, f, cout, stride, pad }) => {
      const X = randomTensor(x, 1)
      const W = randomTensor([f[0], f[1], x[3], cout], 2)
      const run = (): tf.Tensor[] => {
        const xs = X() as tf.Tensor4D
        const ws = W() as tf.Tensor4D
        const y = tf.conv2d(xs, ws, stride, pad)
        const dy = randomTensor(y.shape, 3)()
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf
            .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)
            .mul(dy)
            .sum(),
        )([xs, ws])
        return grads
      }
      const [cpuDx, cpuDw] = await on('cpu', run)
      const [wasmDx, wasmDw] = await on('wasm', run)
      expect(maxAbsDiff(wasmDw!, cpuDw!)).toBeLessThan(1e-4)
      expect(maxAbsDiff(wasmDx!, cpuDx!)).toBeLessThan(1e-4)
    },
  )

  it.each(cases.filter((c) => c.stride === 1 || c.stride === 2).map((c) => ({ ...c, mult: c.cout % 2 === 0 ? 2 : 1 })))(
    'depthwise conv gradients for x=$x filter=$f multiplier=$mult stride=$stride pad=$pad',
    async ({ x, f, mult, stride, pad }) => {
      const X = randomTensor(x, 4)
      const W = randomTensor([f[0], f[1], x[3], mult], 5)
      const s = stride as number
      const run = (): tf.Tensor[] => {
        const xs = X() as tf.Tensor4D
        const ws = W() as tf.Tensor4D
        const y = tf.depthwiseConv2d(xs, ws, s, pad)
        const dy = randomTensor(y.shape, 6)()
        return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf
            .depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)
            .mul(dy)
            .sum(),
        )([xs, ws])
      }
      const [cpuDx, cpuDw] = await on('cpu', run)
      const [wasmDx, wasmDw] = await on('wasm', run)
      expect(maxAbsDiff(wasmDw!, cpuDw!)).toBeLessThan(1e-4)
      expect(maxAbsDiff(wasmDx!, cpuDx!)).toBeLessThan(1e-4)
    },
  )

  it.each([
    { x: [2, 26, 26, 16], pool: 2, stride: 2, pad: 'valid' },
    { x: [1, 7, 9, 3], pool: 2, stride: 2, pad: 'valid' },
    { x: [1, 7, 9, 3], pool: 3, stride: 2, pad: 'same' },
    { x: [2, 6, 6, 2], pool: 2, stride: 1, pad: 'valid' },
    { x: [1, 5, 5, 1], pool: 3, stride: 1, pad: 'same' },
  ] as const)('max-pool gradient for x=$x pool=$pool stride=$stride pad=$pad', async ({ x, pool, stride, pad }) => {
    const X = randomTensor([...x], 10)
    const run = (): tf.Tensor[] => {
      const xs = X() as tf.Tensor4D
      const dy = randomTensor(tf.maxPool(xs, pool, stride, pad).shape, 11)()
      return [
        tf.grad((a: tf.Tensor) =>
          tf
            .maxPool(a as tf.Tensor4D, pool, stride, pad)
            .mul(dy)
            .sum(),
        )(xs),
      ]
    }
    const [cpu] = await on('cpu', run)
    const [wasm] = await on('wasm', run)
    expect(maxAbsDiff(wasm!, cpu!)).toBeLessThan(1e-5)
  })

  it('routes a max-pool gradient to the first of tied maxima, as the cpu backend does', async () => {
    const run = (): tf.Tensor[] => {
      const xs = tf.tensor4d([1, 1, 1, 1, 2, 0, 2, 2], [1, 2, 4, 1])
      return [tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').sum())(xs)]
    }
    const [cpu] = await on('cpu', run)
    const [wasm] = await on('wasm', run)
    expect([...wasm!]).toEqual([...cpu!])
  })

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('matMul with transposeA=%s transposeB=%s and its gradients', async (ta, tb) => {
    const A = randomTensor(ta ? [7, 5] : [5, 7], 12)
    const B = randomTensor(tb ? [3, 7] : [7, 3], 13)
    const run = (): tf.Tensor[] => {
      const [a, b] = [A(), B()]
      const out = tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb)
      return [
        out,
        ...tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf
            .matMul(p as tf.Tensor2D, q as tf.Tensor2D, ta, tb)
            .square()
            .sum(),
        )([a, b]),
      ]
    }
    const cpu = await on('cpu', run)
    const wasm = await on('wasm', run)
    cpu.forEach((c, i) => expect(maxAbsDiff(wasm[i]!, c)).toBeLessThan(1e-4))
  })

  it('does not leak tensors', async () => {
    await tf.setBackend('wasm')
    const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() }
    const X = randomTensor([2, 8, 8, 3], 7)
    const W = randomTensor([3, 3, 3, 4], 8)
    for (const depthwise of [false, true]) {
      const grads = tf.tidy(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          (depthwise
            ? tf.depthwiseConv2d(a as tf.Tensor4D, b.slice([0, 0, 0, 0], [3, 3, 3, 1]) as tf.Tensor4D, 2, 'same')
            : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')
          ).sum(),
        )([X(), W()]),
      )
      tf.dispose(grads)
    }
    expect({ tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() }).toEqual(before)
  })
})
