/**
 * Checks one image file and makes its thumbnail. Decoding runs in sharp (libvips) on libuv's thread
 * pool, off the JavaScript thread. Every way a file can be bad ends in a `BadFileError` whose message is
 * the reason shown in the import report.
 */
import sharp, { type Metadata, type Sharp } from 'sharp'
import { decodeBmp, isBmp } from './bmp'
import { messageOf } from '../../../shared/messages'

/** Larger images are refused before decoding (decompression bombs). */
export const maxPixels = 50_000_000
export const thumbSize = 128
export const imageExtensions = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif'])

sharp.cache(false)

export class BadFileError extends Error {}

/** Why a pipe, device or socket is skipped (reading one could wait forever). */
export const notRegularFile = 'not a regular file (a pipe, device or socket); only image files are imported'

export interface InspectedImage {
  format: string
  width: number
  height: number
  /** 1 for grey, 3 for colour. */
  channels: 1 | 3
  /** Null when the original already serves as its own thumbnail (small, and a format browsers show). */
  thumbnail: Buffer | null
}

/** Formats every browser (and Electron) displays, which need no converted thumbnail when small. */
const browserFormats = new Set(['jpeg', 'png', 'webp', 'gif'])

function looksLikeText(data: Uint8Array): boolean {
  const n = Math.min(data.length, 512)
  let printable = 0
  for (let i = 0; i < n; i++) {
    const b = data[i]!
    if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc0) printable++
  }
  return n > 0 && printable / n > 0.95
}

/**
 * The reason for a sharp failure. `stage` says how far the file got: a failure reading the header means
 * it is not an image we can read; a failure after a good header means the pixel data is damaged.
 */
function describeSharpError(err: unknown, data: Uint8Array, stage: 'header' | 'pixels'): string {
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err)
  const detail = /^unknown error$/i.test(message.trim()) ? '' : ` (${message})`
  if (/pixel limit/i.test(message)) return `the image is larger than the ${maxPixels / 1e6} megapixel limit`
  if (stage === 'header') {
    if (/unsupported image format/i.test(message)) {
      return looksLikeText(data)
        ? 'not an image: the file contains text'
        : 'not an image: the content is not a format ModelBench can read'
    }
    if (/corrupt|truncat|premature|unexpected end|crc/i.test(message))
      return `the image is truncated or corrupt${detail}`
    return `the image header could not be read${detail}`
  }
  return `the image is truncated or corrupt: its pixels could not be decoded${detail}`
}

/** A sharp pipeline over the image in `data` (BMP decoded here, everything else by libvips). */
export function openImage(
  data: Buffer,
  options: { limitInputPixels: number | false } = { limitInputPixels: maxPixels },
): Sharp {
  if (isBmp(data)) {
    const raw = decodeBmp(data, options.limitInputPixels === false ? Infinity : options.limitInputPixels)
    return sharp(raw.pixels, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
  }
  return sharp(data, { limitInputPixels: options.limitInputPixels, failOn: 'error', pages: 1 })
}

/** Transparent pixels are composited on this, the same for the thumbnail, training, Try it and predicting. */
export const transparencyBackground = '#ffffff'

/**
 * An image as a model input: stretched to the input's width and height (aspect ratio not kept), grey or
 * sRGB without alpha, as uint8 pixels h × w × c — the same preparation as the training cache.
 */
export async function modelInputPixels(data: Buffer, [h, w, c]: readonly [number, number, 1 | 3]): Promise<Buffer> {
  let p = openImage(data).rotate().flatten({ background: transparencyBackground }).resize(w, h, { fit: 'fill' })
  p = c === 1 ? p.greyscale() : p.removeAlpha().toColourspace('srgb')
  return p.raw().toBuffer()
}

/** Whether raw pixels with an alpha channel (the last of 2 or 4) have any pixel less than opaque. */
function hasTransparentPixel(px: Buffer, channels: number): boolean {
  if (channels !== 2 && channels !== 4) return false
  for (let i = channels - 1; i < px.length; i += channels) if (px[i]! < 255) return true
  return false
}

export async function inspectImage(data: Buffer): Promise<InspectedImage> {
  if (data.length === 0) throw new BadFileError('empty file (0 bytes)')
  if (isBmp(data)) return inspectBmp(data)
  let meta: Metadata
  try {
    meta = await sharp(data, { limitInputPixels: false }).metadata()
  } catch (err) {
    throw new BadFileError(describeSharpError(err, data, 'header'))
  }
  const { width, height, format } = meta
  if (!width || !height || !format) throw new BadFileError('not an image: no dimensions could be read')
  if (width * height > maxPixels) {
    throw new BadFileError(
      `the image is ${width}×${height} (${((width * height) / 1e6).toFixed(0)} megapixels), over the ${maxPixels / 1e6} megapixel limit`,
    )
  }
  try {
    // Decoding the whole image (not just the header) is what catches truncated files.
    const rotated = (meta.orientation ?? 1) > 1
    // A small image serves as its own thumbnail, unless a pixel is transparent (composited on white, as everywhere).
    if (width <= thumbSize && height <= thumbSize && browserFormats.has(format) && !rotated) {
      const { data: px, info } = await openImage(data).raw().toBuffer({ resolveWithObject: true })
      if (!hasTransparentPixel(px, info.channels))
        return { format, width, height, channels: greyOrColour(meta), thumbnail: null }
    }
    const thumbnail = await openImage(data)
      .rotate()
      .flatten({ background: transparencyBackground })
      .resize(thumbSize, thumbSize, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80, effort: 0 })
      .toBuffer()
    return { format: format === 'heif' ? 'avif' : format, width, height, channels: greyOrColour(meta), thumbnail }
  } catch (err) {
    throw new BadFileError(describeSharpError(err, data, 'pixels'))
  }
}

async function inspectBmp(data: Buffer): Promise<InspectedImage> {
  let image: Sharp
  try {
    image = openImage(data)
  } catch (err) {
    const message = messageOf(err)
    throw new BadFileError(
      /pixel limit/.test(message)
        ? `the image is over the ${maxPixels / 1e6} megapixel limit (${message})`
        : `the BMP file cannot be read: ${message}`,
    )
  }
  const meta = await image.metadata()
  const thumbnail = await image
    .resize(thumbSize, thumbSize, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80, effort: 0 })
    .toBuffer()
  return { format: 'bmp', width: meta.width!, height: meta.height!, channels: greyOrColour(meta), thumbnail }
}

function greyOrColour(meta: Metadata): 1 | 3 {
  return meta.space === 'b-w' || (meta.channels ?? 3) <= 2 ? 1 : 3
}

/** A file-system error in plain words, whether reading or writing: "permission denied", "the disk is full"… */
export function fsErrorReason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'the file is gone or is a broken link'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ELOOP':
      return 'symbolic link loop'
    case 'EISDIR':
      return 'this is a folder'
    case 'ENOTDIR':
      return 'part of the path is a file, not a folder'
    case 'ENAMETOOLONG':
      return 'the path is too long'
    case 'EIO':
      return 'input/output error on the disk'
    case 'EROFS':
      return 'the disk is read-only'
    case 'ENOSPC':
      return 'the disk is full'
    default:
      return (err as Error).message ?? String(err)
  }
}

/** A reason a file could not be read, in plain words. */
export function describeFsError(err: unknown): string {
  return `cannot read: ${fsErrorReason(err)}`
}
