/**
 * A decoder for uncompressed Windows bitmaps (24- and 32-bit, and 8-bit with a palette), which sharp's
 * libvips build does not read. Anything else (RLE, bitfields other than plain BGRA, 1/4-bit) is refused
 * with a reason.
 */
export interface RawImage {
  width: number
  height: number
  channels: 3 | 4
  pixels: Buffer
}

export function isBmp(data: Uint8Array): boolean {
  return data.length > 26 && data[0] === 0x42 && data[1] === 0x4d
}

export function decodeBmp(data: Buffer, maxPixels: number): RawImage {
  if (data.length < 54) throw new Error('BMP file is truncated (header)')
  const offset = data.readUInt32LE(10)
  const headerSize = data.readUInt32LE(14)
  if (headerSize < 40) throw new Error('old OS/2 BMP headers are not supported')
  const width = data.readInt32LE(18)
  const rawHeight = data.readInt32LE(22)
  const bpp = data.readUInt16LE(28)
  const compression = data.readUInt32LE(30)
  const height = Math.abs(rawHeight)
  const topDown = rawHeight < 0
  if (width <= 0 || height === 0) throw new Error('BMP has no pixels')
  if (width * height > maxPixels) throw new Error(`Input image exceeds pixel limit (${width}×${height})`)
  if (!(compression === 0 || (compression === 3 && bpp === 32)))
    throw new Error(`compressed BMP (method ${compression}) is not supported`)
  if (bpp !== 24 && bpp !== 32 && bpp !== 8) throw new Error(`${bpp}-bit BMP is not supported`)
  const stride = Math.ceil((width * bpp) / 32) * 4
  if (offset + stride * height > data.length) throw new Error('BMP file is truncated (pixel data)')
  const channels = bpp === 32 ? 4 : 3
  const pixels = Buffer.alloc(width * height * channels)
  let palette: Buffer | null = null
  if (bpp === 8) {
    const colours = data.readUInt32LE(46) || 256
    palette = data.subarray(14 + headerSize, 14 + headerSize + colours * 4)
  }
  for (let y = 0; y < height; y++) {
    const src = offset + (topDown ? y : height - 1 - y) * stride
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels
      let b: number, g: number, r: number
      if (palette) {
        const i = data[src + x]! * 4
        b = palette[i] ?? 0
        g = palette[i + 1] ?? 0
        r = palette[i + 2] ?? 0
      } else {
        const s = src + x * (bpp / 8)
        b = data[s]!
        g = data[s + 1]!
        r = data[s + 2]!
        if (channels === 4) pixels[o + 3] = data[s + 3]!
      }
      pixels[o] = r
      pixels[o + 1] = g
      pixels[o + 2] = b
    }
  }
  return { width, height, channels, pixels }
}
