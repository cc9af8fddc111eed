/**
 * Paths from requests, resolved before anything is checked or touched: symbolic links followed where the
 * path exists (the nearest existing folder where it does not yet), so a prefix check cannot be fooled by
 * `..`, links or doubled separators. Also the folders no request may write into.
 */
import { realpathSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { AppError } from './errors'

/** The real path of `p`, or of its nearest existing ancestor with the missing rest appended. */
export function resolveReal(p: string): string {
  const abs = resolve(p)
  const missing: string[] = []
  let at = abs
  for (;;) {
    try {
      return join(realpathSync.native(at), ...missing.reverse())
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err
      const up = dirname(at)
      if (up === at) return abs
      missing.push(basename(at))
      at = up
    }
  }
}

/** Whether `child` is `parent` or lies inside it; both already resolved. */
export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child)
  // `..` or `../…` climbs out; a name that merely starts with two dots (`..photos`) does not.
  return !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
}

/** Kernel and device file systems: reading them can hang and writing them is never an export. */
const systemRoots =
  process.platform === 'linux' ? ['/proc', '/sys', '/dev'] : process.platform === 'darwin' ? ['/dev'] : []

export function isSystemPath(real: string): boolean {
  return systemRoots.some((root) => isInside(real, root))
}

/**
 * Refuses a path inside the data directory (`root`, already resolved) unless it lies inside one of
 * `allowed` (its folders, e.g. `exports`): the store's own files are never a source or a destination.
 */
export function refuseDataDir(
  real: string,
  root: string,
  allowed: readonly string[],
  field: string,
  what: string,
): void {
  if (!isInside(real, root)) return
  if (allowed.some((a) => isInside(real, join(root, a)) && real !== join(root, a))) return
  throw new AppError('INVALID_ARGUMENT', `${real} is inside ModelBench's own data folder (${root}); ${what}`, field)
}
