/**
 * Per-batch image augmentation on normalised float pixels (channels last): random flips, rotation and
 * zoom (one affine map with bilinear sampling, edges clamped) and brightness, each drawn from the run's
 * seeded generator so a run is reproducible.
 */
import type { Hyperparameters } from '../../../shared/training'

export type Augmentation = Hyperparameters['augmentation']

export function isIdentity(a: Augmentation): boolean {
  return a.flip === 'none' && a.rotation === 0 && a.zoom === 0 && a.brightness === 0
}

/** Augments `count` images of h×w×c in place. `range` is the pixel range after normalisation (for brightness). */
export function augmentBatch(
  pixels: Float32Array,
  count: number,
  h: number,
  w: number,
  c: number,
  a: Augmentation,
  random: () => number,
  range = 1,
): void {
  if (isIdentity(a)) return
  const size = h * w * c
  const scratch = new Float32Array(size)
  for (let n = 0; n < count; n++) {
    const img = pixels.subarray(n * size, (n + 1) * size)
    const flipX = (a.flip === 'horizontal' || a.flip === 'both') && random() < 0.5
    const flipY = (a.flip === 'vertical' || a.flip === 'both') && random() < 0.5
    const angle = a.rotation > 0 ? ((random() * 2 - 1) * a.rotation * Math.PI) / 180 : 0
    const scale = a.zoom > 0 ? 1 + (random() * 2 - 1) * a.zoom : 1
    const delta = a.brightness > 0 ? (random() * 2 - 1) * a.brightness * range : 0
    if (flipX || flipY || angle !== 0 || scale !== 1) {
      scratch.set(img)
      const cos = Math.cos(angle) / scale
      const sin = Math.sin(angle) / scale
      const cy = (h - 1) / 2
      const cx = (w - 1) / 2
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          // Inverse map: where in the source does this output pixel come from?
          const ox = (flipX ? w - 1 - x : x) - cx
          const oy = (flipY ? h - 1 - y : y) - cy
          let sx = cos * ox + sin * oy + cx
          let sy = -sin * ox + cos * oy + cy
          sx = Math.min(Math.max(sx, 0), w - 1)
          sy = Math.min(Math.max(sy, 0), h - 1)
          const x0 = Math.floor(sx)
          const y0 = Math.floor(sy)
          const x1 = Math.min(x0 + 1, w - 1)
          const y1 = Math.min(y0 + 1, h - 1)
          const fx = sx - x0
          const fy = sy - y0
          for (let ch = 0; ch < c; ch++) {
            const p00 = scratch[(y0 * w + x0) * c + ch]!
            const p01 = scratch[(y0 * w + x1) * c + ch]!
            const p10 = scratch[(y1 * w + x0) * c + ch]!
            const p11 = scratch[(y1 * w + x1) * c + ch]!
            img[(y * w + x) * c + ch] = (p00 * (1 - fx) + p01 * fx) * (1 - fy) + (p10 * (1 - fx) + p11 * fx) * fy
          }
        }
      }
    }
    if (delta !== 0) for (let i = 0; i < size; i++) img[i] = img[i]! + delta
  }
}
