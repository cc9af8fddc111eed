/**
 * Training kernels the tfjs wasm backend lacks (or has only as plain loops), built on the backend's own
 * fast kernels:
 * - Conv2DBackpropFilter: im2col written already transposed ([K, M]) so the product with dy ([M, Cout]) is
 *   one BatchMatMul with neither operand transposed and batch 1 — the orientation XNNPACK runs fast.
 * - Conv2DBackpropInput (replacing wasm's loop): the convolution of dy, dilated by the strides and padded,
 *   with the filter flipped and its channels swapped, on wasm's own Conv2D.
 * - DepthwiseConv2dNativeBackpropFilter / BackpropInput: the same two ideas per channel (a batched
 *   matmul, and wasm's DepthwiseConv2dNative on the flipped filter).
 * Each is checked against the reference `cpu` backend in wasm-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

type Info = tf.TensorInfo
type Shape4 = [number, number, number, number]

function kernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'wasm')
  if (!k) throw new Error(`the wasm backend has no ${name} kernel`)
  return k.kernelFunc
}

function values(backend: BackendWasm, t: Info): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array
}

function reshape(backend: BackendWasm, x: Info, shape: number[]): Info {
  return kernel('Reshape')({ inputs: { x }, backend, attrs: { shape } }) as Info
}

function dispose(backend: BackendWasm, ...infos: Info[]): void {
  for (const i of infos) backend.disposeData(i.dataId)
}

interface ConvAttrs {
  strides: number | [number, number]
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dataFormat?: 'NHWC' | 'NCHW'
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
  dilations?: number | [number, number]
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs, depthwise: boolean): tf.backend_util.Conv2DInfo {
  // Depthwise gradient kernels carry no dataFormat: they are channels-last.
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error('only channels-last (NHWC) convolutions are supported')
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
  )
}

/** colsT[k, m] for k = (fy, fx, c) and m = (n, oy, ox): the input patch values, zero outside the image. */
function im2colTransposed(x: Float32Array, c: tf.backend_util.Conv2DInfo, channels: number): Float32Array {
  const { batchSize: N, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, filterHeight: fh, filterWidth: fw } = c
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c
  const top = c.padInfo.top
  const left = c.padInfo.left
  const M = N * Ho * Wo
  const out = new Float32Array(fh * fw * channels * M)
  for (let fy = 0; fy < fh; fy++) {
    for (let fx = 0; fx < fw; fx++) {
      for (let ch = 0; ch < channels; ch++) {
        const row = ((fy * fw + fx) * channels + ch) * M
        let m = 0
        for (let n = 0; n < N; n++) {
          const xn = n * H * W * channels
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - top + fy * dh
            if (iy < 0 || iy >= H) {
              m += Wo
              continue
            }
            const xrow = xn + iy * W * channels + ch
            for (let ox = 0; ox < Wo; ox++, m++) {
              const ix = ox * sw - left + fx * dw
              if (ix >= 0 && ix < W) out[row + m] = x[xrow + ix * channels]!
            }
          }
        }
      }
    }
  }
  return out
}

function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const b = backend as BackendWasm
  const { x, dy } = inputs as { x: Info; dy: Info }
  const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 }
  const c = convInfo(x.shape, a.filterShape, a, false)
  const K = c.filterHeight * c.filterWidth * c.inChannels
  const M = c.batchSize * c.outHeight * c.outWidth
  const cols = b.makeOutput([1, K, M], 'float32', undefined, im2colTransposed(values(b, x), c, c.inChannels))
  const dy3 = reshape(b, dy, [1, M, c.outChannels])
  const product = kernel('BatchMatMul')({ inputs: { a: cols, b: dy3 }, backend: b, attrs: { transposeA: false, transposeB: false } }) as Info
  const result = reshape(b, product, a.filterShape)
  dispose(b, cols, dy3, product)
  return result
}

/**
 * dy spread out by the strides and padded so that a stride-1 'valid' correlation with the flipped filter
 * gives dx: padded[n, y, x, c] = dy[n, (y - pt)/sh, (x - pl)/sw, c] where that is a whole in-range index.
 */
function dilateAndPad(dy: Float32Array, c: tf.backend_util.Conv2DInfo, channels: number): { data: Float32Array; shape: Shape4 } {
  const { batchSize: N, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, filterHeight: fh, filterWidth: fw } = c
  const pt = fh - 1 - c.padInfo.top
  const pl = fw - 1 - c.padInfo.left
  const PH = H + fh - 1
  const PW = W + fw - 1
  const data = new Float32Array(N * PH * PW * channels)
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < Ho; oy++) {
      const y = oy * c.strideHeight + pt
      if (y < 0 || y >= PH) continue
      for (let ox = 0; ox < Wo; ox++) {
        const xx = ox * c.strideWidth + pl
        if (xx < 0 || xx >= PW) continue
        const src = ((n * Ho + oy) * Wo + ox) * channels
        data.set(dy.subarray(src, src + channels), ((n * PH + y) * PW + xx) * channels)
      }
    }
  }
  return { data, shape: [N, PH, PW, channels] }
}

function conv2DBackpropInput({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const b = backend as BackendWasm
  const { dy, filter } = inputs as { dy: Info; filter: Info }
  const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 }
  const c = convInfo(a.inputShape, filter.shape, a, false)
  if (c.dilationHeight !== 1 || c.dilationWidth !== 1) throw new Error('dilated convolution gradients are not supported')
  const { filterHeight: fh, filterWidth: fw, inChannels: ci, outChannels: co } = c
  const w = values(b, filter)
  // flipped[y, x, o, i] = w[fh-1-y, fw-1-x, i, o]
  const flipped = new Float32Array(w.length)
  for (let y = 0; y < fh; y++)
    for (let x = 0; x < fw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) flipped[((y * fw + x) * co + o) * ci + i] = w[(((fh - 1 - y) * fw + (fw - 1 - x)) * ci + i) * co + o]!
  const padded = dilateAndPad(values(b, dy), c, co)
  const px = b.makeOutput(padded.shape, 'float32', undefined, padded.data)
  const pf = b.makeOutput([fh, fw, co, ci], 'float32', undefined, flipped)
  const result = kernel('Conv2D')({
    inputs: { x: px, filter: pf },
    backend: b,
    attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
  }) as Info
  dispose(b, px, pf)
  return result
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const b = backend as BackendWasm
  const { x, dy } = inputs as { x: Info; dy: Info }
  const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 }
  const c = convInfo(x.shape, a.filterShape, a, true)
  const C = c.inChannels
  const mult = c.outChannels / C
  const taps = c.filterHeight * c.filterWidth
  const M = c.batchSize * c.outHeight * c.outWidth
  // Per channel: [taps, M] × [M, mult]. Rearrange colsT [taps, C, M] to [C, taps, M] and dy [M, C, mult] to [C, M, mult].
  const colsT = im2colTransposed(values(b, x), c, C)
  const perChannel = new Float32Array(colsT.length)
  for (let t = 0; t < taps; t++) for (let ch = 0; ch < C; ch++) perChannel.set(colsT.subarray((t * C + ch) * M, (t * C + ch + 1) * M), (ch * taps + t) * M)
  const dyv = values(b, dy)
  const dyc = new Float32Array(dyv.length)
  for (let m = 0; m < M; m++) for (let ch = 0; ch < C; ch++) for (let k = 0; k < mult; k++) dyc[(ch * M + m) * mult + k] = dyv[(m * C + ch) * mult + k]!
  const ai = b.makeOutput([C, taps, M], 'float32', undefined, perChannel)
  const bi = b.makeOutput([C, M, mult], 'float32', undefined, dyc)
  const product = kernel('BatchMatMul')({ inputs: { a: ai, b: bi }, backend: b, attrs: { transposeA: false, transposeB: false } }) as Info
  // [C, taps, mult] -> filter [fh, fw, C, mult]
  const pv = values(b, product)
  const out = new Float32Array(pv.length)
  for (let ch = 0; ch < C; ch++) for (let t = 0; t < taps; t++) for (let k = 0; k < mult; k++) out[(t * C + ch) * mult + k] = pv[(ch * taps + t) * mult + k]!
  dispose(b, ai, bi, product)
  return b.makeOutput(a.filterShape, 'float32', undefined, out)
}

function depthwiseBackpropInput({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const b = backend as BackendWasm
  const { dy, filter } = inputs as { dy: Info; filter: Info }
  const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 }
  const c = convInfo(a.inputShape, filter.shape, a, true)
  if (c.dilationHeight !== 1 || c.dilationWidth !== 1) throw new Error('dilated convolution gradients are not supported')
  const { filterHeight: fh, filterWidth: fw, inChannels: C } = c
  const mult = c.outChannels / C
  const w = values(b, filter)
  // As a depthwise convolution over C·mult channels with multiplier 1, then summing each channel's group.
  const flipped = new Float32Array(w.length)
  for (let y = 0; y < fh; y++)
    for (let x = 0; x < fw; x++)
      for (let j = 0; j < C * mult; j++) flipped[(y * fw + x) * C * mult + j] = w[((fh - 1 - y) * fw + (fw - 1 - x)) * C * mult + j]!
  const padded = dilateAndPad(values(b, dy), c, C * mult)
  const px = b.makeOutput(padded.shape, 'float32', undefined, padded.data)
  const pf = b.makeOutput([fh, fw, C * mult, 1], 'float32', undefined, flipped)
  const conv = kernel('DepthwiseConv2dNative')({
    inputs: { x: px, filter: pf },
    backend: b,
    attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
  }) as Info
  dispose(b, px, pf)
  if (mult === 1) return conv
  const cv = values(b, conv)
  const out = new Float32Array(cv.length / mult)
  for (let p = 0, q = 0; p < out.length; p++) {
    let s = 0
    for (let k = 0; k < mult; k++, q++) s += cv[q]!
    out[p] = s
  }
  dispose(b, conv)
  return b.makeOutput(a.inputShape, 'float32', undefined, out)
}

let registered = false

/** Registers the kernels for the wasm backend (once; later calls do nothing). */
export function registerWasmTrainingKernels(): void {
  if (registered) return
  registered = true
  const replace = (kernelName: string, kernelFunc: tf.KernelFunc): void => {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm')
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc })
  }
  replace('Conv2DBackpropFilter', conv2DBackpropFilter as tf.KernelFunc)
  replace('Conv2DBackpropInput', conv2DBackpropInput as tf.KernelFunc)
  replace('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter as tf.KernelFunc)
  replace('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput as tf.KernelFunc)
}
