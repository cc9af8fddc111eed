/**
 * Content-addressed files in the data directory: originals under `blobs/ab/<sha256>` and thumbnails
 * under `thumbs/ab/<sha256>.webp` (one level of 256 folders: a second `cd/` level, as first designed,
 * made nearly every one of the first 65,536 imports create its own folder, which halved the import rate).
 * A file is created exclusively, so a complete blob that another project already uses is never rewritten;
 * a half-written one left by a crash (its sample row was never committed) is replaced on the next import.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}

export function isSha256(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text)
}

export type MediaKind = 'thumbs' | 'blobs'

/** The MIME type of an image from its first bytes (stored blobs have no extension). */
export function sniffImageType(head: Uint8Array): string {
  const b = (i: number): number => head[i] ?? -1
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'image/png'
  if (b(0) === 0xff && b(1) === 0xd8) return 'image/jpeg'
  if (b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46) return 'image/gif'
  if (b(0) === 0x42 && b(1) === 0x4d) return 'image/bmp'
  if (b(8) === 0x57 && b(9) === 0x45 && b(10) === 0x42 && b(11) === 0x50) return 'image/webp'
  if (b(4) === 0x66 && b(5) === 0x74 && b(6) === 0x79 && b(7) === 0x70) return 'image/avif'
  if ((b(0) === 0x49 && b(1) === 0x49) || (b(0) === 0x4d && b(1) === 0x4d)) return 'image/tiff'
  return 'application/octet-stream'
}

export class BlobStore {
  constructor(readonly dataDir: string) {}

  /** The file behind a media URL (`thumbs/<hash>` or `blobs/<hash>`), or null for anything else. */
  mediaPath(kind: string, hash: string): string | null {
    if (!isSha256(hash)) return null
    if (kind === 'thumbs') {
      // Small images are their own thumbnails (see inspectImage).
      const thumb = this.thumbPath(hash)
      return existsSync(thumb) ? thumb : this.blobPath(hash)
    }
    if (kind === 'blobs') return this.blobPath(hash)
    return null
  }

  blobPath(hash: string): string {
    return join(this.dataDir, 'blobs', hash.slice(0, 2), hash)
  }

  thumbPath(hash: string): string {
    return join(this.dataDir, 'thumbs', hash.slice(0, 2), `${hash}.webp`)
  }

  async putBlob(hash: string, data: Uint8Array): Promise<void> {
    await this.write(this.blobPath(hash), data)
  }

  async putThumb(hash: string, data: Uint8Array): Promise<void> {
    await this.write(this.thumbPath(hash), data)
  }

  /** Folders already made, so a bulk import does not ask the file system again for each file. */
  private readonly made = new Set<string>()

  private async write(path: string, data: Uint8Array): Promise<void> {
    const dir = join(path, '..')
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true })
      this.made.add(dir)
    }
    try {
      await writeFile(path, data, { flag: 'wx' })
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    // Already there: complete (same hash, same size) unless a crash cut it short.
    if ((await stat(path)).size === data.byteLength) return
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(tmp, data)
    await rename(tmp, path)
  }

  /**
   * Removes images and thumbnails no sample refers to (an import killed between writing its files and
   * committing their batch leaves such files). Only files older than `before` (this process's start), so
   * an import that began since is never touched. Returns how many files went.
   */
  async removeOrphans(known: ReadonlySet<string>, before = startedAt): Promise<number> {
    let removed = 0
    for (const kind of ['blobs', 'thumbs'] as const) {
      const root = join(this.dataDir, kind)
      let shards: string[]
      try {
        shards = await readdir(root)
      } catch {
        continue
      }
      for (const shard of shards) {
        let names: string[]
        try {
          names = await readdir(join(root, shard))
        } catch {
          continue
        }
        for (const name of names) {
          const hash = name.slice(0, 64)
          if (known.has(hash)) continue
          const path = join(root, shard, name)
          if ((await stat(path)).mtimeMs >= before) continue
          await rm(path, { force: true })
          removed++
        }
      }
    }
    return removed
  }
}

const startedAt = Date.now()
