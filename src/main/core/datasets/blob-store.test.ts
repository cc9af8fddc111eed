import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../test-support/temp-dir'
import { BlobStore, sha256, sniffImageType } from './blob-store'

const tempDir = useTempDirs()

describe('BlobStore', () => {
  it('stores by content hash under one level of folders', async () => {
    const dir = tempDir()
    const store = new BlobStore(dir)
    const data = Buffer.from('hello')
    const hash = sha256(data)
    await store.putBlob(hash, data)
    expect(store.blobPath(hash)).toBe(join(dir, 'blobs', hash.slice(0, 2), hash))
    expect(readFileSync(store.blobPath(hash), 'utf8')).toBe('hello')
  })

  it('leaves a complete existing blob alone and replaces one cut short by a crash', async () => {
    const store = new BlobStore(tempDir())
    const data = Buffer.from('0123456789')
    const hash = sha256(data)
    await store.putBlob(hash, data)
    const before = statSync(store.blobPath(hash)).ino
    await store.putBlob(hash, data)
    expect(statSync(store.blobPath(hash)).ino).toBe(before)
    writeFileSync(store.blobPath(hash), '01234')
    await store.putBlob(hash, data)
    expect(readFileSync(store.blobPath(hash), 'utf8')).toBe('0123456789')
  })

  it('serves the original as the thumbnail when there is none, and only for hashes', () => {
    const dir = tempDir()
    const store = new BlobStore(dir)
    const hash = 'c'.repeat(64)
    expect(store.mediaPath('thumbs', hash)).toBe(store.blobPath(hash))
    mkdirSync(join(store.thumbPath(hash), '..'), { recursive: true })
    writeFileSync(store.thumbPath(hash), 'thumb')
    expect(store.mediaPath('thumbs', hash)).toBe(store.thumbPath(hash))
    expect(store.mediaPath('blobs', '../etc/passwd')).toBeNull()
    expect(store.mediaPath('cache', hash)).toBeNull()
  })

  it('recognises image types from their first bytes', () => {
    expect(sniffImageType(Buffer.from('89504e470d0a1a0a', 'hex'))).toBe('image/png')
    expect(sniffImageType(Buffer.from('ffd8ffe0', 'hex'))).toBe('image/jpeg')
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WEBP'))).toBe('image/webp')
    expect(sniffImageType(Buffer.from('GIF89a'))).toBe('image/gif')
    expect(sniffImageType(Buffer.from('BM'))).toBe('image/bmp')
    expect(sniffImageType(Buffer.from('hello'))).toBe('application/octet-stream')
  })
})
