import { describe, expect, it } from 'vitest'
import { buildProfile, imageStats, unusualInput } from './input-profile'

/** A 28×28 grey "digit": a white square on black, or (inverted) black on white. */
function digit(inverted: boolean, size = 10): Uint8Array {
  const px = new Uint8Array(28 * 28)
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++)
      px[y * 28 + x] = (x >= 9 && x < 9 + size && y >= 9 && y < 9 + size) !== inverted ? 255 : 0
  return px
}

describe('the training images’ profile and unusual inputs', () => {
  it('measures brightness, contrast and colour of an image', () => {
    expect(imageStats(new Uint8Array(12).fill(255), 3)).toEqual({ brightness: 1, contrast: 0, colour: 0 })
    const half = imageStats(Uint8Array.from([0, 255, 0, 255]), 1)
    expect(half.brightness).toBeCloseTo(0.5)
    expect(half.contrast).toBeCloseTo(0.5)
    expect(imageStats(Uint8Array.from([255, 0, 0]), 3).colour).toBeCloseTo(2 / 3)
  })

  it('says an inverted digit is much brighter than white-on-black training digits, and passes one like them', () => {
    const profile = buildProfile([6, 8, 10, 12, 14].map((s) => imageStats(digit(false, s), 1)))
    expect(unusualInput(imageStats(digit(false, 11), 1), profile)).toEqual([])
    const reasons = unusualInput(imageStats(digit(true), 1), profile)
    expect(reasons).toHaveLength(1)
    expect(reasons[0]).toMatch(/^much brighter than the training images \(brightness 87 %; training images 5 %–25 %\)$/)
    const paper = buildProfile([6, 8, 10, 12, 14].map((s) => imageStats(digit(true, s), 1)))
    expect(unusualInput(imageStats(new Uint8Array(28 * 28), 1), paper)).toEqual([
      'much darker than the training images (brightness 0 %; training images 75 %–95 %)',
    ])
    expect(
      unusualInput(
        imageStats(
          new Uint8Array(28 * 28 * 3).map((_, i) => (i % 3 === 0 ? 255 : 40)),
          3,
        ),
        buildProfile([imageStats(new Uint8Array(30).fill(128), 3)]),
      ),
    ).toContainEqual(
      expect.stringMatching(/^much more colourful than the training images \(colour 5\d %; training images 0 %–0 %\)$/),
    )
  })
})
