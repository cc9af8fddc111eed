/**
 * Files a browser hands over for import. A browser cannot give file paths, so each dropped file is
 * streamed (never held in memory) into `uploads/<uploadId>/<its relative path>` in the data directory,
 * within a per-file and a total limit, and imported from there. This module owns the `uploads` folder:
 * only it creates or removes anything there, and it removes one upload folder at a time, by its id.
 */
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { uploadIdPattern } from '../../shared/contract'
import { AppError } from './errors'
import { isInside, resolveReal } from './safe-paths'

export interface UploadLimits {
  /** One file. */
  fileBytes: number
  /** Every upload not yet imported, together. */
  totalBytes: number
}

export const defaultUploadLimits: UploadLimits = { fileBytes: 200 * 1024 * 1024, totalBytes: 2 * 1024 * 1024 * 1024 }

/** A body over a limit: the HTTP layer answers 413 with this message. */
export class UploadTooLargeError extends AppError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message)
  }
}

function mib(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`
}

export class Uploads {
  readonly dir: string
  /** `dir` resolved (links followed), once: what `ownerOf` compares resolved paths with. */
  private readonly realDir: string
  private readonly sizes = new Map<string, number>()

  constructor(
    dataDir: string,
    private readonly limits: UploadLimits = defaultUploadLimits,
  ) {
    this.dir = join(dataDir, 'uploads')
    this.realDir = resolveReal(this.dir)
  }

  private total(): number {
    let sum = 0
    for (const n of this.sizes.values()) sum += n
    return sum
  }

  /**
   * Streams `body` into the upload `uploadId` at `relativePath` (folders kept, so class folders survive).
   * Nothing is left behind when the body is too large or breaks off.
   */
  async receive(
    uploadId: string,
    relativePath: string,
    body: Readable,
    declaredBytes?: number,
  ): Promise<{ path: string; root: string }> {
    if (!uploadIdPattern.test(uploadId)) throw new AppError('INVALID_ARGUMENT', 'Bad upload id', 'uploadId')
    const parts = relativePath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.')
    if (parts.length === 0 || parts.some((p) => p === '..' || p.includes('\0'))) {
      throw new AppError('INVALID_ARGUMENT', `Bad file name "${relativePath.replace(/\0/g, '\\0')}"`, 'x-relative-path')
    }
    const fileLimit = this.limits.fileBytes
    const room = this.limits.totalBytes - this.total()
    const tooLarge = (size: number): UploadTooLargeError | null =>
      size > fileLimit
        ? new UploadTooLargeError(
            `${parts.at(-1)} is larger than the ${mib(fileLimit)} a dropped file may be; import it from its folder instead`,
          )
        : size > room
          ? new UploadTooLargeError(
              `The files dropped so far and ${parts.at(-1)} are more than ${mib(this.limits.totalBytes)} together; import the folder by its path instead`,
            )
          : null
    if (declaredBytes !== undefined) {
      const refused = tooLarge(declaredBytes)
      if (refused) throw refused
    }
    const root = join(this.dir, uploadId)
    const target = join(root, ...parts)
    const partial = join(root, `.${randomUUID()}.part`)
    await mkdir(join(target, '..'), { recursive: true })
    let size = 0
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length
        done(tooLarge(size), chunk)
      },
    })
    try {
      await pipeline(body, counter, createWriteStream(partial, { flags: 'wx' }))
      await rename(partial, target)
    } catch (err) {
      await rm(partial, { force: true })
      throw err
    }
    this.sizes.set(uploadId, (this.sizes.get(uploadId) ?? 0) + size)
    return { path: target, root }
  }

  /** Where `path` lies inside an upload under `root`: the upload's id and the path below it; null elsewhere. */
  private static within(path: string, root: string): { id: string; rest: string[] } | null {
    if (!isInside(path, root) || path === root) return null
    const [id = '', ...rest] = path.slice(root.length + 1).split(/[\\/]/)
    return uploadIdPattern.test(id) ? { id, rest } : null
  }

  /** The upload a path lies in, by id; null for a path anywhere else. `real` is already resolved (resolveReal). */
  ownerOf(real: string): string | null {
    return Uploads.within(real, this.realDir)?.id ?? null
  }

  /**
   * A path as the user knows it: inside an upload, the part they picked or dropped (`pets/cats/1.png`,
   * `iris.csv`) instead of the data folder's internal one; any other path unchanged.
   */
  shown(path: string): string {
    const inside = Uploads.within(path, this.dir) ?? Uploads.within(path, this.realDir)
    if (!inside) return path
    return inside.rest.length > 0 ? inside.rest.join('/') : 'files from the browser'
  }

  /** Removes one upload folder, named by its id only. */
  async remove(uploadId: string): Promise<void> {
    if (!uploadIdPattern.test(uploadId)) return
    this.sizes.delete(uploadId)
    await rm(join(this.dir, uploadId), { recursive: true, force: true })
  }

  /** At start-up: uploads left by an earlier process were never imported; remove them. */
  async removeStale(): Promise<number> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return 0
    }
    const stale = names.filter((n) => uploadIdPattern.test(n))
    await Promise.all(stale.map((n) => this.remove(n)))
    return stale.length
  }
}
