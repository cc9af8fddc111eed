/**
 * Finds the image files to import and what each one is: a folder per class (`cats/…`, `dogs/…`), a
 * `train/` + `test/` (or `validation/`) pair of such folders, a folder of unlabeled images, or loose files.
 * Symbolic links are followed, loops are detected and reported. Hidden and system files and empty
 * folders are ignored but counted, and an image outside every class folder is imported unlabeled with a
 * note saying so: nothing vanishes from the totals without a word.
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
  /** Said in the report when the file is imported (why it has no class, for instance). */
  note?: string
}

export interface ScanIssue {
  path: string
  reason: string
}

/** What the scan passed over on purpose, by kind, with the paths for the report. */
export interface ScanNote {
  kind: 'hidden' | 'empty-folder'
  path: string
  reason: string
}

export type Layout = 'split-folders' | 'class-folders' | 'unlabeled-folder' | 'files'

export interface ScanResult {
  layout: Layout
  files: FoundFile[]
  issues: ScanIssue[]
  notes: ScanNote[]
}

interface Found {
  issues: ScanIssue[]
  notes: ScanNote[]
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

/** Files and folders the operating system or another app leaves next to the images. */
const systemNames = new Set([
  'thumbs.db',
  'ehthumbs.db',
  'desktop.ini',
  '__macosx',
  '$recycle.bin',
  'system volume information',
  'icon\r',
])

/** Hidden (a leading dot, as `.DS_Store`, `._photo.jpg` or `.git`) or made by the system (`Thumbs.db`, `__MACOSX`). */
export function isHiddenOrSystem(name: string): boolean {
  return name.startsWith('.') || systemNames.has(name.toLowerCase())
}

const looseNote =
  'imported unlabeled: this image is not inside a class folder; label it on the Data page, or move it into a class folder and import again'

interface Entry {
  name: string
  path: string
  isDir: boolean
}

/** The folder's entries; an empty one (nothing but hidden files, or nothing at all) is noted as such. */
async function listDir(dir: string, found: Found): Promise<Entry[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    found.issues.push({ path: dir, reason: describeFsError(err) })
    return []
  }
  const out: Entry[] = []
  let unreadable = 0
  for (const name of names.sort()) {
    const path = join(dir, name)
    const hidden = isHiddenOrSystem(name)
    let st: Awaited<ReturnType<typeof stat>>
    try {
      st = await stat(path)
    } catch (err) {
      if (hidden) found.notes.push({ kind: 'hidden', path, reason: 'hidden or system file, ignored' })
      else found.issues.push({ path, reason: describeFsError(err) })
      unreadable++
      continue
    }
    if (hidden) {
      found.notes.push({
        kind: 'hidden',
        path,
        reason: st.isDirectory()
          ? 'hidden or system folder, ignored with everything in it'
          : 'hidden or system file, ignored',
      })
    } else if (st.isDirectory()) out.push({ name, path, isDir: true })
    else if (st.isFile()) out.push({ name, path, isDir: false })
    else {
      found.issues.push({ path, reason: notRegularFile })
      unreadable++
    }
  }
  if (out.length === 0 && unreadable === 0)
    found.notes.push({
      kind: 'empty-folder',
      path: dir,
      reason: 'empty folder, ignored: there is nothing in it to import',
    })
  return out
}

/** Every file under `dir`, recursively, following links but never into a folder already visited. */
async function collect(
  dir: string,
  root: string,
  visited: Set<string>,
  depth: number,
  found: Found,
  out: string[],
): Promise<void> {
  const { issues } = found
  let real: string
  try {
    real = await realpath(dir)
  } catch (err) {
    issues.push({ path: dir, reason: describeFsError(err) })
    return
  }
  if (visited.has(real)) {
    issues.push({
      path: dir,
      reason: `symbolic link loop: this folder is already being imported as ${relative(root, real) || '.'}`,
    })
    return
  }
  if (depth > maxDepth) {
    issues.push({ path: dir, reason: `folders nested more than ${maxDepth} deep are not imported` })
    return
  }
  visited.add(real)
  for (const entry of await listDir(dir, found)) {
    if (entry.isDir) await collect(entry.path, root, visited, depth + 1, found, out)
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
  const found: Found = { issues: [], notes: [] }
  const { issues, notes } = found
  const visited = new Set<string>()
  const top = await listDir(root, found)
  const dirs = top.filter((e) => e.isDir)
  const splitDirs = dirs.filter((d) => splitNames[d.name.toLowerCase()])
  const files: FoundFile[] = []

  const addTree = async (dir: string, className: string | null, split: Split | null): Promise<void> => {
    const paths: string[] = []
    await collect(dir, root, visited, 1, found, paths)
    for (const path of paths)
      if (isImageName(path, issues)) files.push({ path, name: relative(root, path), className, split })
  }
  /** Images next to the class folders: imported without a class, said so in the report (`note`). */
  const addLoose = (entries: Entry[], split: Split | null, note?: string): void => {
    for (const e of entries) {
      if (!e.isDir && isImageName(e.path, issues))
        files.push({ path: e.path, name: relative(root, e.path), className: null, split, ...(note ? { note } : {}) })
    }
  }

  visited.add(await realpath(root))
  const hasTrain = splitDirs.some((d) => splitNames[d.name.toLowerCase()] === 'train')
  if (hasTrain && splitDirs.length >= 2) {
    for (const splitDir of splitDirs) {
      const split = splitNames[splitDir.name.toLowerCase()]!
      visited.add(await realpath(splitDir.path))
      const inside = await listDir(splitDir.path, found)
      for (const classDir of inside.filter((e) => e.isDir))
        await addTree(classDir.path, classDir.name.normalize('NFC'), split)
      addLoose(inside, split, inside.some((e) => e.isDir) ? looseNote : undefined)
    }
    for (const other of dirs.filter((d) => !splitDirs.includes(d))) {
      issues.push({
        path: other.path,
        reason: 'folder next to train/ and test/ is not imported; move its images into one of them',
      })
    }
    addLoose(top, null, `${looseNote} (and it is in neither train/ nor test/, so the split decides where it goes)`)
    return { layout: 'split-folders', files, issues, notes }
  }
  if (dirs.length > 0) {
    for (const classDir of dirs) await addTree(classDir.path, classDir.name.normalize('NFC'), null)
    addLoose(top, null, looseNote)
    return { layout: 'class-folders', files, issues, notes }
  }
  addLoose(top, null)
  return { layout: 'unlabeled-folder', files, issues, notes }
}

export async function scanImageSource(paths: string[]): Promise<ScanResult> {
  if (paths.length === 1) {
    try {
      if ((await stat(paths[0]!)).isDirectory()) return await scanFolder(paths[0]!)
    } catch (err) {
      return { layout: 'files', files: [], issues: [{ path: paths[0]!, reason: describeFsError(err) }], notes: [] }
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
  return { layout: 'files', files, issues, notes: [] }
}
