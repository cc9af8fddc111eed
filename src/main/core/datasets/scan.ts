/**
 * Finds the image files to import and what each one is: a folder per class (`cats/…`, `dogs/…`), a
 * `train/` + `test/` (or `validation/`) pair of such folders, a folder of unlabeled images, or loose files.
 * Symbolic links are followed, loops are detected and reported, hidden files are ignored.
 */
import { readdir, realpath, stat } from 'node:fs/promises'
import { basename, extname, join, relative } from 'node:path'
import type { Split } from '../../../shared/contract'
import { describeFsError, imageExtensions, notRegularFile } from './image-file'

export interface FoundFile {
  path: string
  /** Path relative to the imported folder (or the file name for loose files), shown to the user. */
  name: string
  className: string | null
  split: Split | null
}

export interface ScanIssue {
  path: string
  reason: string
}

export type Layout = 'split-folders' | 'class-folders' | 'unlabeled-folder' | 'files'

export interface ScanResult {
  layout: Layout
  files: FoundFile[]
  issues: ScanIssue[]
}

const splitNames: Record<string, Split> = {
  train: 'train',
  training: 'train',
  validation: 'validation',
  val: 'validation',
  valid: 'validation',
  test: 'test',
  testing: 'test',
}

const maxDepth = 32

interface Entry {
  name: string
  path: string
  isDir: boolean
}

async function listDir(dir: string, issues: ScanIssue[]): Promise<Entry[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    issues.push({ path: dir, reason: describeFsError(err) })
    return []
  }
  const out: Entry[] = []
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue
    const path = join(dir, name)
    try {
      const st = await stat(path)
      if (st.isDirectory()) out.push({ name, path, isDir: true })
      else if (st.isFile()) out.push({ name, path, isDir: false })
      else issues.push({ path, reason: notRegularFile })
    } catch (err) {
      issues.push({ path, reason: describeFsError(err) })
    }
  }
  return out
}

/** Every file under `dir`, recursively, following links but never into a folder already visited. */
async function collect(dir: string, root: string, visited: Set<string>, depth: number, issues: ScanIssue[], out: string[]): Promise<void> {
  let real: string
  try {
    real = await realpath(dir)
  } catch (err) {
    issues.push({ path: dir, reason: describeFsError(err) })
    return
  }
  if (visited.has(real)) {
    issues.push({ path: dir, reason: `symbolic link loop: this folder is already being imported as ${relative(root, real) || '.'}` })
    return
  }
  if (depth > maxDepth) {
    issues.push({ path: dir, reason: `folders nested more than ${maxDepth} deep are not imported` })
    return
  }
  visited.add(real)
  for (const entry of await listDir(dir, issues)) {
    if (entry.isDir) await collect(entry.path, root, visited, depth + 1, issues, out)
    else out.push(entry.path)
  }
}

function isImageName(path: string, issues: ScanIssue[]): boolean {
  const ext = extname(path).toLowerCase()
  if (imageExtensions.has(ext)) return true
  issues.push({ path, reason: ext ? `not an image file type (${ext})` : 'not an image file type (no extension)' })
  return false
}

async function scanFolder(root: string): Promise<ScanResult> {
  const issues: ScanIssue[] = []
  const visited = new Set<string>()
  const top = await listDir(root, issues)
  const dirs = top.filter((e) => e.isDir)
  const splitDirs = dirs.filter((d) => splitNames[d.name.toLowerCase()])
  const files: FoundFile[] = []

  const addTree = async (dir: string, className: string | null, split: Split | null): Promise<void> => {
    const paths: string[] = []
    await collect(dir, root, visited, 1, issues, paths)
    for (const path of paths) if (isImageName(path, issues)) files.push({ path, name: relative(root, path), className, split })
  }
  const addLoose = (entries: Entry[], split: Split | null): void => {
    for (const e of entries) if (!e.isDir && isImageName(e.path, issues)) files.push({ path: e.path, name: relative(root, e.path), className: null, split })
  }

  visited.add(await realpath(root))
  const hasTrain = splitDirs.some((d) => splitNames[d.name.toLowerCase()] === 'train')
  if (hasTrain && splitDirs.length >= 2) {
    for (const splitDir of splitDirs) {
      const split = splitNames[splitDir.name.toLowerCase()]!
      visited.add(await realpath(splitDir.path))
      const inside = await listDir(splitDir.path, issues)
      for (const classDir of inside.filter((e) => e.isDir)) await addTree(classDir.path, classDir.name.normalize('NFC'), split)
      addLoose(inside, split)
    }
    for (const other of dirs.filter((d) => !splitDirs.includes(d))) {
      issues.push({ path: other.path, reason: 'folder next to train/ and test/ is not imported; move its images into one of them' })
    }
    addLoose(top, null)
    return { layout: 'split-folders', files, issues }
  }
  if (dirs.length > 0) {
    for (const classDir of dirs) await addTree(classDir.path, classDir.name.normalize('NFC'), null)
    addLoose(top, null)
    return { layout: 'class-folders', files, issues }
  }
  addLoose(top, null)
  return { layout: 'unlabeled-folder', files, issues }
}

export async function scanImageSource(paths: string[]): Promise<ScanResult> {
  if (paths.length === 1) {
    try {
      if ((await stat(paths[0]!)).isDirectory()) return await scanFolder(paths[0]!)
    } catch (err) {
      return { layout: 'files', files: [], issues: [{ path: paths[0]!, reason: describeFsError(err) }] }
    }
  }
  const issues: ScanIssue[] = []
  const files: FoundFile[] = []
  for (const path of paths) {
    try {
      const st = await stat(path)
      if (st.isDirectory()) {
        issues.push({ path, reason: 'folders are imported one at a time; import this folder on its own' })
        continue
      }
      if (!st.isFile()) {
        issues.push({ path, reason: notRegularFile })
        continue
      }
    } catch (err) {
      issues.push({ path, reason: describeFsError(err) })
      continue
    }
    if (isImageName(path, issues)) files.push({ path, name: basename(path), className: null, split: null })
  }
  return { layout: 'files', files, issues }
}
