/**
 * Training kernels the tfjs wasm backend lacks (or has only as plain loops), built on the backend's own
 * fast kernels:
 * - Conv2DBackpropFilter: im2col written already transposed ([K, M]) so the product with dy ([M, Cout]) is
 *   one BatchMatMul with neither operand transposed and batch 1 — the orientation XNNPACK runs fast.
 * - Conv2DBackpropInput (replacing wasm's loop): the convolution of dy, dilated by the strides and padded,
 *   with the filter flipped and its channels swapped, on wasm's own Conv2D.
 * - DepthwiseConv2dNativeBackpropFilter / BackpropInput: the same two ideas per channel (a batched
 *   matmul, and wasm's DepthwiseConv2dNative on the flipped filter).
 * - MaxPoolGrad (replacing wasm's): one pass over the windows, routing dy to each window's maximum.
 * - BatchMatMul with a transposed operand: an explicit transpose, then the fast untransposed product.
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

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  // Depthwise gradient kernels carry no dataFormat: they are channels-last.
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC')
    throw new Error('only channels-last (NHWC) convolutions are supported')
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

/**
 * colsT[k, m] for k = (fy, fx, c) and m = (n, oy, ox): the input patch values, zero outside the image.
 * Written into `out` (zeroed by the caller); the inner loop runs only over the in-bounds columns.
 */
function im2colTransposed(x: Float32Array, c: tf.backend_util.Conv2DInfo, channels: number, out: Float32Array): void {
  const { batchSize: N, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, filterHeight: fh, filterWidth: fw } = c
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c
  const top = c.padInfo.top
  const left = c.padInfo.left
  const M = N * Ho * Wo
  for (let fy = 0; fy < fh; fy++) {
    for (let fx = 0; fx < fw; fx++) {
      // Output columns whose input column ix = ox*sw - left + fx*dw lies inside the image.
      const shift = fx * dw - left
      const oxStart = Math.max(0, Math.ceil(-shift / sw))
      const oxEnd = Math.min(Wo, Math.floor((W - 1 - shift) / sw) + 1)
      for (let ch = 0; ch < channels; ch++) {
        const row = ((fy * fw + fx) * channels + ch) * M
        for (let n = 0; n < N; n++) {
          const xn = n * H * W * channels
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - top + fy * dh
            if (iy < 0 || iy >= H) continue
            const dst = row + (n * Ho + oy) * Wo
            let src = xn + (iy * W + oxStart * sw + shift) * channels + ch
            const step = sw * channels
            for (let ox = oxStart; ox < oxEnd; ox++, src += step) out[dst + ox] = x[src]!
          }
        }
      }
    }
  }
}

function conv2DBackpropFilter({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap
  backend: unknown
  attrs?: tf.NamedAttrMap
}): Info {
  const b = backend as BackendWasm
  const { x, dy } = inputs as { x: Info; dy: Info }
  const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 }
  const c = convInfo(x.shape, a.filterShape, a, false)
  const K = c.filterHeight * c.filterWidth * c.inChannels
  const M = c.batchSize * c.outHeight * c.outWidth
  // Allocated in the wasm heap and filled in place: no second copy of a matrix that can be tens of MB.
  const cols = b.makeOutput([1, K, M], 'float32')
  const colsView = values(b, cols)
  colsView.fill(0)
  im2colTransposed(values(b, x), c, c.inChannels, colsView)
  const dy3 = reshape(b, dy, [1, M, c.outChannels])
  const product = kernel('BatchMatMul')({
    inputs: { a: cols, b: dy3 },
    backend: b,
    attrs: { transposeA: false, transposeB: false },
  }) as Info
  const result = reshape(b, product, a.filterShape)
  dispose(b, cols, dy3, product)
  return result
}

/**
 * dy spread out by the strides and padded so that a stride-1 'valid' correlation with the flipped filter
 * gives dx: padded[n, y, x, c] = dy[n, (y - pt)/sh, (x - pl)/sw, c] where that is a whole in-range index.
 */
function dilateAndPad(
  dy: Float32Array,
  c: tf.backend_util.Conv2DInfo,
  channels: number,
): { data: Float32Array; shape: Shape4 } {
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

function conv2DBackpropInput({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap
  backend: unknown
  attrs?: tf.NamedAttrMap
}): Info {
  const b = backend as BackendWasm
  const { dy, filter } = inputs as { dy: Info; filter: Info }
  const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 }
  const c = convInfo(a.inputShape, filter.shape, a, false)
  if (c.dilationHeight !== 1 || c.dilationWidth !== 1)
    throw new Error('dilated convolution gradients are not supported')
  const { filterHeight: fh, filterWidth: fw, inChannels: ci, outChannels: co } = c
  const w = values(b, filter)
  // flipped[y, x, o, i] = w[fh-1-y, fw-1-x, i, o]
  const flipped = new Float32Array(w.length)
  for (let y = 0; y < fh; y++)
    for (let x = 0; x < fw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++)
          flipped[((y * fw + x) * co + o) * ci + i] = w[(((fh - 1 - y) * fw + (fw - 1 - x)) * ci + i) * co + o]!
  const padded = dilateAndPad(values(b, dy), c, co)
  const px = b.makeOutput(padded.shape, 'float32', undefined, padded.data)
  const pf = b.makeOutput([fh, fw, co, ci], 'float32', undefined, flipped)
  const result = kernel('Conv2D')({
    inputs: { x: px, filter: pf },
    backend: b,
    attrs: {
      strides: 1,
      pad: 'valid',
      dataFormat: 'NHWC',
      dilations: 1,
      dimRoundingMode: undefined,
    } as unknown as tf.NamedAttrMap,
  }) as Info
  dispose(b, px, pf)
  return result
}

function depthwiseBackpropFilter({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap
  backend: unknown
  attrs?: tf.NamedAttrMap
}): Info {
  const b = backend as BackendWasm
  const { x, dy } = inputs as { x: Info; dy: Info }
  const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 }
  const c = convInfo(x.shape, a.filterShape, a, true)
  const C = c.inChannels
  const mult = c.outChannels / C
  const taps = c.filterHeight * c.filterWidth
  const M = c.batchSize * c.outHeight * c.outWidth
  // Per channel: [taps, M] × [M, mult]. Rearrange colsT [taps, C, M] to [C, taps, M] and dy [M, C, mult] to [C, M, mult].
  const colsT = new Float32Array(taps * C * M)
  im2colTransposed(values(b, x), c, C, colsT)
  const perChannel = new Float32Array(colsT.length)
  for (let t = 0; t < taps; t++)
    for (let ch = 0; ch < C; ch++)
      perChannel.set(colsT.subarray((t * C + ch) * M, (t * C + ch + 1) * M), (ch * taps + t) * M)
  const dyv = values(b, dy)
  const dyc = new Float32Array(dyv.length)
  for (let m = 0; m < M; m++)
    for (let ch = 0; ch < C; ch++)
      for (let k = 0; k < mult; k++) dyc[(ch * M + m) * mult + k] = dyv[(m * C + ch) * mult + k]!
  const ai = b.makeOutput([C, taps, M], 'float32', undefined, perChannel)
  const bi = b.makeOutput([C, M, mult], 'float32', undefined, dyc)
  const product = kernel('BatchMatMul')({
    inputs: { a: ai, b: bi },
    backend: b,
    attrs: { transposeA: false, transposeB: false },
  }) as Info
  // [C, taps, mult] -> filter [fh, fw, C, mult]
  const pv = values(b, product)
  const out = new Float32Array(pv.length)
  for (let ch = 0; ch < C; ch++)
    for (let t = 0; t < taps; t++)
      for (let k = 0; k < mult; k++) out[(t * C + ch) * mult + k] = pv[(ch * taps + t) * mult + k]!
  dispose(b, ai, bi, product)
  return b.makeOutput(a.filterShape, 'float32', undefined, out)
}

function depthwiseBackpropInput({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap
  backend: unknown
  attrs?: tf.NamedAttrMap
}): Info {
  const b = backend as BackendWasm
  const { dy, filter } = inputs as { dy: Info; filter: Info }
  const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 }
  const c = convInfo(a.inputShape, filter.shape, a, true)
  if (c.dilationHeight !== 1 || c.dilationWidth !== 1)
    throw new Error('dilated convolution gradients are not supported')
  const { filterHeight: fh, filterWidth: fw, inChannels: C } = c
  const mult = c.outChannels / C
  const w = values(b, filter)
  // As a depthwise convolution over C·mult channels with multiplier 1, then summing each channel's group.
  const flipped = new Float32Array(w.length)
  for (let y = 0; y < fh; y++)
    for (let x = 0; x < fw; x++)
      for (let j = 0; j < C * mult; j++)
        flipped[(y * fw + x) * C * mult + j] = w[((fh - 1 - y) * fw + (fw - 1 - x)) * C * mult + j]!
  const padded = dilateAndPad(values(b, dy), c, C * mult)
  const px = b.makeOutput(padded.shape, 'float32', undefined, padded.data)
  const pf = b.makeOutput([fh, fw, C * mult, 1], 'float32', undefined, flipped)
  const conv = kernel('DepthwiseConv2dNative')({
    inputs: { x: px, filter: pf },
    backend: b,
    attrs: {
      strides: 1,
      pad: 'valid',
      dataFormat: 'NHWC',
      dilations: 1,
      dimRoundingMode: undefined,
    } as unknown as tf.NamedAttrMap,
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

/**
 * MaxPoolGrad: each dy value goes to the position of its window's maximum (the first one, in row-major
 * window order, as the cpu backend picks). wasm's own version rescans every window per input pixel.
 */
function maxPoolGrad({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap
  backend: unknown
  attrs?: tf.NamedAttrMap
}): Info {
  const b = backend as BackendWasm
  const { dy, input } = inputs as { dy: Info; input: Info }
  const a = attrs as unknown as {
    filterSize: number | [number, number]
    strides: number | [number, number]
    pad: ConvAttrs['pad']
    dimRoundingMode?: 'floor' | 'round' | 'ceil'
  }
  const c = tf.backend_util.computePool2DInfo(
    input.shape as Shape4,
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  )
  const {
    batchSize: N,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: Ho,
    outWidth: Wo,
    filterHeight: fh,
    filterWidth: fw,
    strideHeight: sh,
    strideWidth: sw,
  } = c
  const top = c.padInfo.top
  const left = c.padInfo.left
  const x = values(b, input)
  const g = values(b, dy)
  const dx = new Float32Array(x.length)
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && Ho * 2 <= H && Wo * 2 <= W) {
    // The common case (2×2 windows, stride 2, no padding), unrolled; same first-maximum rule.
    const rowStride = W * C
    for (let n = 0; n < N; n++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const base = n * H * rowStride + oy * 2 * rowStride + ox * 2 * C
          const go = ((n * Ho + oy) * Wo + ox) * C
          for (let ch = 0; ch < C; ch++) {
            const i0 = base + ch
            const i1 = i0 + C
            const i2 = i0 + rowStride
            const i3 = i2 + C
            let at = i0
            let best = x[i0]!
            if (x[i1]! > best) {
              best = x[i1]!
              at = i1
            }
            if (x[i2]! > best) {
              best = x[i2]!
              at = i2
            }
            if (x[i3]! > best) at = i3
            dx[at] = dx[at]! + g[go + ch]!
          }
        }
      }
    }
    return b.makeOutput(input.shape, 'float32', undefined, dx)
  }
  for (let n = 0; n < N; n++) {
    const xn = n * H * W * C
    for (let oy = 0; oy < Ho; oy++) {
      const y0 = oy * sh - top
      for (let ox = 0; ox < Wo; ox++) {
        const x0 = ox * sw - left
        const go = ((n * Ho + oy) * Wo + ox) * C
        for (let ch = 0; ch < C; ch++) {
          let best = -Infinity
          let at = -1
          for (let wy = 0; wy < fh; wy++) {
            const iy = y0 + wy
            if (iy < 0 || iy >= H) continue
            for (let wx = 0; wx < fw; wx++) {
              const ix = x0 + wx
              if (ix < 0 || ix >= W) continue
              const idx = xn + (iy * W + ix) * C + ch
              if (x[idx]! > best) {
                best = x[idx]!
                at = idx
              }
            }
          }
          if (at >= 0) dx[at] = dx[at]! + g[go + ch]!
        }
      }
    }
  }
  return b.makeOutput(input.shape, 'float32', undefined, dx)
}

/** The original BatchMatMul, kept to call for the untransposed product. */
let wasmBatchMatMul: tf.KernelFunc | null = null

/**
 * BatchMatMul with a transposed operand (the dense layers' gradients) is several times slower in wasm
 * than without; transposing the operand first and multiplying plainly is faster overall.
 */
function batchMatMul({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap
  backend: unknown
  attrs?: tf.NamedAttrMap
}): Info {
  const b = backend as BackendWasm
  const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean }
  const original = wasmBatchMatMul!
  if (!transposeA && !transposeB) return original({ inputs, backend: b, ...(attrs ? { attrs } : {}) }) as Info
  const swapLast = (t: Info): Info => {
    const perm = t.shape.map((_, i) => i)
    ;[perm[perm.length - 1], perm[perm.length - 2]] = [perm[perm.length - 2]!, perm[perm.length - 1]!]
    return kernel('Transpose')({ inputs: { x: t }, backend: b, attrs: { perm } }) as Info
  }
  const { a, b: bIn } = inputs as { a: Info; b: Info }
  const ta = transposeA ? swapLast(a) : a
  const tb = transposeB ? swapLast(bIn) : bIn
  const out = original({
    inputs: { a: ta, b: tb },
    backend: b,
    attrs: { ...attrs, transposeA: false, transposeB: false },
  }) as Info
  if (transposeA) dispose(b, ta)
  if (transposeB) dispose(b, tb)
  return out
}

let registered = false

/** Registers the kernels for the wasm backend (once; later calls do nothing). */
export function registerWasmTrainingKernels(): void {
  if (registered) return
  registered = true
  const replace = (kernelName: string, kernelFunc: tf.KernelFunc): void => {
    const original = tf.getKernel(kernelName, 'wasm')
    if (original) tf.unregisterKernel(kernelName, 'wasm')
    // Keep the original's setup: it binds the native function the original kernel (still called) needs.
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc,
      ...(original?.setupFunc ? { setupFunc: original.setupFunc } : {}),
    })
  }
  replace('Conv2DBackpropFilter', conv2DBackpropFilter as tf.KernelFunc)
  replace('Conv2DBackpropInput', conv2DBackpropInput as tf.KernelFunc)
  replace('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter as tf.KernelFunc)
  replace('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput as tf.KernelFunc)
  replace('MaxPoolGrad', maxPoolGrad as tf.KernelFunc)
  wasmBatchMatMul = kernel('BatchMatMul')
  replace('BatchMatMul', batchMatMul as tf.KernelFunc)
}
