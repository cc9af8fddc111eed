import { describe, expect, it } from 'vitest'
import { seededRandom } from '../datasets/split'
import { augmentBatch } from './augment'

const none = { flip: 'none', rotation: 0, zoom: 0, brightness: 0 } as const

function image(): Float32Array {
  // 3×4 grey image with distinct values, channels last (1 channel).
  return Float32Array.from({ length: 12 }, (_, i) => i)
}

describe('augmentBatch', () => {
  it('leaves images alone when nothing is asked for', () => {
    const px = image()
    augmentBatch(px, 1, 3, 4, 1, none, seededRandom(1))
    expect([...px]).toEqual([...image()])
  })

  it('flips horizontally when drawn, exactly', () => {
    const random = (): number => 0.1 // always below 0.5: flip
    const px = image()
    augmentBatch(px, 1, 3, 4, 1, { ...none, flip: 'horizontal' }, random)
    expect([...px]).toEqual([3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8])
  })

  it('rotates by 180 degrees like flipping both ways', () => {
    const px = image()
    augmentBatch(px, 1, 3, 4, 1, { ...none, rotation: 180 }, () => 1 - 1e-12)
    expect([...px].map((v) => Math.round(v * 1000) / 1000)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
  })

  it('shifts brightness within the asked range, reproducibly with the seed', () => {
    const a = image()
    const b = image()
    augmentBatch(a, 1, 3, 4, 1, { ...none, brightness: 0.2 }, seededRandom(9), 1)
    augmentBatch(b, 1, 3, 4, 1, { ...none, brightness: 0.2 }, seededRandom(9), 1)
    expect([...a]).toEqual([...b])
    const delta = a[0]! - 0
    expect(Math.abs(delta)).toBeLessThanOrEqual(0.2)
    a.forEach((v, i) => expect(v - i).toBeCloseTo(delta))
  })
})
