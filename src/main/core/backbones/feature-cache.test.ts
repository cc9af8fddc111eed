import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backbones } from '../../../shared/model/backbones'
import { useTempDirs } from '../../test-support/temp-dir'
import type { CacheMeta } from '../datasets/tensor-cache'
import type { BackboneCut, LoadedBackbone } from './backbone'
import { ensureFeatures, featureKey, featurePaths, FeatureReader, type FeatureComputer } from './feature-cache'

const tempDir = useTempDirs()
const side = 4
const rowBytes = side * side * 3

/** A pixel cache of `count` rows on disk (row i's pixels all hold values from i). */
function pixels(dir: string, count: number, versionHash = 'v1'): { data: string; meta: CacheMeta } {
  const data = join(dir, 'pixels.u8')
  writeFileSync(
    data,
    Buffer.from(Array.from({ length: count * rowBytes }, (_, j) => (Math.floor(j / rowBytes) * 7 + j) % 256)),
  )
  return {
    data,
    meta: {
      versionId: 'v',
      versionHash,
      shape: { height: side, width: side, channels: 3 },
      count,
      sampleIds: [],
      classIndex: [],
      splits: [],
    },
  }
}

const backbone = (sha256 = 'weights-1'): LoadedBackbone =>
  ({
    info: { ...backbones.mobilenetV2, inputShape: [side, side, 3] },
    sha256,
    origin: 'test',
  }) as unknown as LoadedBackbone
const cut: BackboneCut = { layer: 'features', shape: [2], trainableLayers: [] }

/** A stand-in backbone: two features per image (sum and first value of the normalised pixels); counts the images it saw. */
function counting(failAfterCalls = Infinity): FeatureComputer & { images: number; calls: number } {
  const c = {
    engine: 'test',
    images: 0,
    calls: 0,
    async run(x: Float32Array, n: number) {
      if (c.calls >= failAfterCalls) throw new Error('killed')
      c.calls++
      c.images += n
      const out = new Float32Array(n * 2)
      for (let i = 0; i < n; i++) {
        let sum = 0
        for (let j = 0; j < rowBytes; j++) sum += x[i * rowBytes + j]!
        out[i * 2] = sum
        out[i * 2 + 1] = x[i * rowBytes]!
      }
      return out
    },
    close: async () => undefined,
  }
  return c
}

describe('the feature cache', () => {
  it('computes every image once, then answers from disk', async () => {
    const dir = tempDir()
    const px = pixels(dir, 37)
    const first = counting()
    const progress: number[] = []
    const a = (await ensureFeatures({
      dir: join(dir, 'f'),
      pixels: px,
      backbone: backbone(),
      cut,
      computer: first,
      chunk: 8,
      onProgress: (p) => progress.push(p.done),
    }))!
    expect(first.images).toBe(37)
    expect(a.computedRows).toBe(37)
    expect(progress).toEqual([0, 8, 16, 24, 32, 37])
    const reader = new FeatureReader(a.path, a.meta)
    // Row 5's first pixel, scaled by 1/255.
    expect(reader.features([5])[1]).toBeCloseTo(((5 * 7 + 5 * rowBytes) % 256) / 255, 6)
    reader.close()

    const again = counting()
    const b = (await ensureFeatures({ dir: join(dir, 'f'), pixels: px, backbone: backbone(), cut, computer: again }))!
    expect(again.images).toBe(0)
    expect(b.computedRows).toBe(0)
    expect(b.path).toBe(a.path)
  })

  it('is recomputed when the data, the weights or the cut change, or the file no longer matches its hash', async () => {
    const dir = tempDir()
    const px = pixels(dir, 10)
    const f = join(dir, 'f')
    const keyed = [
      featureKey(px.meta, backbone(), cut),
      featureKey({ ...px.meta, versionHash: 'v2' }, backbone(), cut),
      featureKey(px.meta, backbone('weights-2'), cut),
      featureKey(px.meta, backbone(), { ...cut, layer: 'block_16_project_BN' }),
    ]
    expect(new Set(keyed).size).toBe(4)
    const base = (await ensureFeatures({ dir: f, pixels: px, backbone: backbone(), cut, computer: counting() }))!
    for (const [pixelsFor, weights] of [
      [{ ...px, meta: { ...px.meta, versionHash: 'v2' } }, 'weights-1'],
      [px, 'weights-2'],
    ] as const) {
      const c = counting()
      await ensureFeatures({ dir: f, pixels: pixelsFor, backbone: backbone(weights), cut, computer: c })
      expect(c.images).toBe(10)
    }
    // A damaged file (same size, other bytes) is not trusted.
    const bytes = readFileSync(base.path)
    bytes[3] = bytes[3]! ^ 0xff
    writeFileSync(base.path, bytes)
    const c = counting()
    const fixed = (await ensureFeatures({ dir: f, pixels: px, backbone: backbone(), cut, computer: c }))!
    expect(c.images).toBe(10)
    expect(readFileSync(fixed.path)).not.toEqual(bytes)
  })

  it('resumes a computation that was killed half-way, computing only the rest, to the same result', async () => {
    const dir = tempDir()
    const px = pixels(dir, 40)
    const reference = (await ensureFeatures({
      dir: join(dir, 'ref'),
      pixels: px,
      backbone: backbone(),
      cut,
      computer: counting(),
      chunk: 8,
    }))!
    const f = join(dir, 'f')
    await expect(
      ensureFeatures({ dir: f, pixels: px, backbone: backbone(), cut, computer: counting(3), chunk: 8 }),
    ).rejects.toThrow('killed')
    const key = featureKey(px.meta, backbone(), cut)
    expect(JSON.parse(readFileSync(featurePaths(f, key).progress, 'utf8'))).toMatchObject({ done: 24 })
    expect(existsSync(featurePaths(f, key).lock)).toBe(false)
    // A kill in the middle of a write leaves bytes past the last vouched row: they are overwritten.
    const partial = featurePaths(f, key).partial
    writeFileSync(partial, Buffer.concat([readFileSync(partial), Buffer.alloc(4 * 2 * 5, 0xee)]))
    writeFileSync(featurePaths(f, key).lock, '999999999')
    const rest = counting()
    const resumed = (await ensureFeatures({ dir: f, pixels: px, backbone: backbone(), cut, computer: rest, chunk: 8 }))!
    expect(rest.images).toBe(16)
    expect(resumed.computedRows).toBe(16)
    expect(readFileSync(resumed.path)).toEqual(readFileSync(reference.path))
    expect(existsSync(featurePaths(f, key).progress)).toBe(false)
  })

  it('stops between chunks when asked, keeping what is done', async () => {
    const dir = tempDir()
    const px = pixels(dir, 30)
    const c = counting()
    let asked = 0
    expect(
      await ensureFeatures({
        dir: join(dir, 'f'),
        pixels: px,
        backbone: backbone(),
        cut,
        computer: c,
        chunk: 8,
        shouldStop: () => ++asked > 2,
      }),
    ).toBeNull()
    expect(c.images).toBe(16)
    const rest = counting()
    await ensureFeatures({ dir: join(dir, 'f'), pixels: px, backbone: backbone(), cut, computer: rest, chunk: 8 })
    expect(rest.images).toBe(14)
  })
})
