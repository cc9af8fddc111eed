/**
 * The preprocessing cache: a dataset version decoded and resized once, for one input size, into a file
 * of uint8 pixels (N × height × width × channels, row-major, channels last) plus a JSON sidecar with
 * each row's sample id, class index and split. Built a few images at a time and written by offset, so
 * memory stays bounded at any dataset size; the trainer reads it back in batches with positioned reads.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs'
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Split } from '../../../shared/contract'
import { AppError, notFound } from '../errors'
import type { Db } from '../store/database'
import type { BlobStore } from './blob-store'
import { modelInputPixels } from './image-file'
import { mapConcurrent } from './map-concurrent'

export interface InputShape {
  height: number
  width: number
  channels: 1 | 3
}

export interface CacheMeta {
  versionId: string
  versionHash: string
  shape: InputShape
  count: number
  sampleIds: number[]
  classIndex: number[]
  splits: Split[]
}

export function cachePaths(dataDir: string, versionId: string, shape: InputShape): { data: string; meta: string } {
  const base = join(dataDir, 'caches', versionId, `${shape.height}x${shape.width}x${shape.channels}`)
  return { data: `${base}.u8`, meta: `${base}.json` }
}

/** Caches being built, by file: two runs of one version starting together (a sweep's trials) share one build. */
const building = new Map<string, Promise<CacheMeta>>()

/** Builds the cache unless it is already there (or being built); returns its metadata. */
export function buildImageCache(
  db: Db,
  blobs: BlobStore,
  versionId: string,
  shape: InputShape,
  onProgress?: (done: number, total: number) => void,
): Promise<CacheMeta> {
  const key = cachePaths(blobs.dataDir, versionId, shape).data
  const pending = building.get(key)
  if (pending) return pending
  const work = buildOnce(db, blobs, versionId, shape, onProgress).finally(() => building.delete(key))
  building.set(key, work)
  return work
}

async function buildOnce(
  db: Db,
  blobs: BlobStore,
  versionId: string,
  shape: InputShape,
  onProgress?: (done: number, total: number) => void,
): Promise<CacheMeta> {
  const version = db
    .prepare(
      'SELECT v.id, v.hash, d.kind FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ?',
    )
    .get(versionId) as { id: string; hash: string; kind: string } | undefined
  if (!version) throw notFound('Dataset version', versionId)
  if (version.kind !== 'image') throw new AppError('INVALID_ARGUMENT', 'Only image datasets have a pixel cache')
  const paths = cachePaths(blobs.dataDir, versionId, shape)
  if (existsSync(paths.meta) && existsSync(paths.data)) return readCacheMeta(paths.meta)

  const rows = db
    .prepare(
      `SELECT vs.sample_id, vs.class_index, vs.split, s.content_hash
       FROM dataset_version_samples vs JOIN samples s ON s.id = vs.sample_id
       WHERE vs.version_id = ? ORDER BY vs.position`,
    )
    .all(versionId) as Array<{ sample_id: number; class_index: number; split: Split; content_hash: string }>
  const size = shape.height * shape.width * shape.channels
  await mkdir(join(paths.data, '..'), { recursive: true })
  const tmp = `${paths.data}.partial`
  const file = await open(tmp, 'w')
  try {
    let done = 0
    const chunk = 256
    for (let start = 0; start < rows.length; start += chunk) {
      const part = rows.slice(start, start + chunk)
      await mapConcurrent(part, 8, async (row) => {
        const data = readFileSync(blobs.blobPath(row.content_hash))
        const pixels = await modelInputPixels(data, [shape.height, shape.width, shape.channels])
        if (pixels.length !== size)
          throw new Error(`decoded ${row.content_hash} to ${pixels.length} bytes, expected ${size}`)
        const index = start + part.indexOf(row)
        await file.write(pixels, 0, size, index * size)
      })
      done += part.length
      onProgress?.(done, rows.length)
    }
  } finally {
    await file.close()
  }
  const meta: CacheMeta = {
    versionId,
    versionHash: version.hash,
    shape,
    count: rows.length,
    sampleIds: rows.map((r) => r.sample_id),
    classIndex: rows.map((r) => r.class_index),
    splits: rows.map((r) => r.split),
  }
  try {
    await rename(tmp, paths.data)
    await writeFile(paths.meta, JSON.stringify(meta))
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  return meta
}

export function readCacheMeta(metaPath: string): CacheMeta {
  return JSON.parse(readFileSync(metaPath, 'utf8')) as CacheMeta
}

/** Reads fixed-size rows of a file by index, one positioned read per run of consecutive rows. */
export class RowReader {
  private readonly fd: number

  constructor(
    path: string,
    readonly rowBytes: number,
    private readonly count: number,
    /** What the file is, for the message when a row is outside it. */
    private readonly what: string,
  ) {
    this.fd = openSync(path, 'r')
  }

  read(indices: readonly number[], into = new Uint8Array(indices.length * this.rowBytes)): Uint8Array {
    let i = 0
    while (i < indices.length) {
      let j = i + 1
      while (j < indices.length && indices[j] === indices[j - 1]! + 1) j++
      const first = indices[i]!
      if (first < 0 || indices[j - 1]! >= this.count)
        throw new RangeError(`row ${first} is outside the ${this.what} (${this.count} rows)`)
      readSync(this.fd, into, i * this.rowBytes, (j - i) * this.rowBytes, first * this.rowBytes)
      i = j
    }
    return into
  }

  close(): void {
    closeSync(this.fd)
  }
}

/** Rows of a pixel cache: uint8 pixels, height × width × channels each. */
export class ImageCacheReader extends RowReader {
  constructor(
    dataPath: string,
    readonly meta: CacheMeta,
  ) {
    super(dataPath, meta.shape.height * meta.shape.width * meta.shape.channels, meta.count, 'cache')
  }
}
