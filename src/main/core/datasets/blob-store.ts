/**
 * Content-addressed files in the data directory: originals under `blobs/ab/cd/<sha256>` and thumbnails
 * under `thumbs/ab/cd/<sha256>.webp`. Writes go to a temporary name first and are renamed into place, so
 * a crash never leaves a half-written blob under its final name.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}

export function isSha256(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text)
}

export class BlobStore {
  constructor(readonly dataDir: string) {}

  blobPath(hash: string): string {
    return join(this.dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash)
  }

  thumbPath(hash: string): string {
    return join(this.dataDir, 'thumbs', hash.slice(0, 2), hash.slice(2, 4), `${hash}.webp`)
  }

  async putBlob(hash: string, data: Uint8Array): Promise<void> {
    await writeOnce(this.blobPath(hash), data)
  }

  async putThumb(hash: string, data: Uint8Array): Promise<void> {
    await writeOnce(this.thumbPath(hash), data)
  }
}

async function writeOnce(path: string, data: Uint8Array): Promise<void> {
  try {
    const st = await stat(path)
    if (st.size === data.byteLength) return
  } catch {
    // Not there yet.
  }
  await mkdir(join(path, '..'), { recursive: true })
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, path)
}
