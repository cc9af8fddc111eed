/**
 * The Train page's augmentation preview: a few of the dataset's images at the model's input size, each
 * shown as drawn by the same augmentation code training uses, as PNG data URLs.
 */
import sharp from 'sharp'
import type { DatasetsService } from '../datasets/datasets-service'
import type { BlobStore } from '../datasets/blob-store'
import { modelInputPixels } from '../datasets/image-file'
import { seededRandom } from '../datasets/split'
import { augmentBatch, type Augmentation } from './augment'

export async function augmentationPreview(
  datasets: DatasetsService,
  blobs: BlobStore,
  datasetId: string,
  shape: { height: number; width: number; channels: 1 | 3 },
  augmentation: Augmentation,
  seed: number,
  count = 8,
): Promise<Array<{ original: string; augmented: string[] }>> {
  const rows = datasets.labeledHashes(datasetId, count).map((content_hash) => ({ content_hash }))
  const { height: h, width: w, channels: c } = shape
  const random = seededRandom(seed)
  const toUrl = async (pixels: Float32Array): Promise<string> => {
    const bytes = Buffer.from(Uint8Array.from(pixels, (v) => Math.max(0, Math.min(255, Math.round(v * 255)))))
    const png = await sharp(bytes, { raw: { width: w, height: h, channels: c } })
      .png()
      .toBuffer()
    return `data:image/png;base64,${png.toString('base64')}`
  }
  const out: Array<{ original: string; augmented: string[] }> = []
  for (const r of rows) {
    const { readFile } = await import('node:fs/promises')
    const raw = await modelInputPixels(await readFile(blobs.blobPath(r.content_hash)), [h, w, c as 1 | 3])
    const base = Float32Array.from(raw, (v) => v / 255)
    const augmented: string[] = []
    for (let k = 0; k < 3; k++) {
      const copy = base.slice()
      augmentBatch(copy, 1, h, w, c, augmentation, random)
      augmented.push(await toUrl(copy))
    }
    out.push({ original: await toUrl(base), augmented })
  }
  return out
}
