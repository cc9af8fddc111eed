import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { inspectImage, modelInputPixels } from './image-file'

/** 8×8 RGBA: the left half fully transparent (black underneath), the right half opaque red. */
async function halfTransparent(): Promise<Buffer> {
  const px = Buffer.alloc(8 * 8 * 4)
  for (let y = 0; y < 8; y++)
    for (let x = 4; x < 8; x++) {
      const i = (y * 8 + x) * 4
      px[i] = 255
      px[i + 3] = 255
    }
  return sharp(px, { raw: { width: 8, height: 8, channels: 4 } })
    .png()
    .toBuffer()
}

describe('transparent pixels', () => {
  it('are composited on white for training, Try it and predicting, in colour and in grey', async () => {
    const png = await halfTransparent()
    const rgb = await modelInputPixels(png, [8, 8, 3])
    expect([...rgb.subarray(0, 3)]).toEqual([255, 255, 255])
    expect([...rgb.subarray(7 * 3, 8 * 3)]).toEqual([255, 0, 0])
    const grey = await modelInputPixels(png, [8, 8, 1])
    expect(grey[0]).toBe(255)
  })

  it('are composited on white in the thumbnail too (a small transparent PNG gets one of its own)', async () => {
    const inspected = await inspectImage(await halfTransparent())
    expect(inspected.thumbnail).not.toBeNull()
    const { data, info } = await sharp(inspected.thumbnail!).raw().toBuffer({ resolveWithObject: true })
    expect(info.channels).toBe(3)
    expect([...data.subarray(0, 3)].every((v) => v > 245)).toBe(true)
  })
})
