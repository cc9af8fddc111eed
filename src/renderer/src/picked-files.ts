/** Turns a drop or a file input into `PickedFiles`, walking dropped folders (browsers give no paths). */
import type { PickedFile, PickedFiles } from './api'

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const out: FileSystemEntry[] = []
    const next = (): void =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(out)
        else {
          out.push(...batch)
          next()
        }
      }, reject)
    next()
  })
}

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
    out.push({ file, relativePath: path })
  } else if (entry.isDirectory) {
    for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walk(child, path, out)
  }
}

export function fromDataTransfer(dt: DataTransfer): PickedFiles {
  // Entries must be taken while the drop event is being handled; reading them can happen later.
  const entries = [...dt.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null)
  const native = [...dt.files]
  return {
    native,
    entries: async () => {
      // Files without entries (put on the drop by a script, or by an app that gives no file-system entry) are taken as loose files.
      if (entries.length === 0) return native.map((file) => ({ file, relativePath: file.name }))
      const out: PickedFile[] = []
      for (const entry of entries) await walk(entry, '', out)
      return out
    },
  }
}

export function fromFileList(list: FileList): PickedFiles {
  const files = [...list]
  return {
    native: files,
    entries: async () => files.map((file) => ({ file, relativePath: file.webkitRelativePath || file.name })),
  }
}

/** Files imported as a table (the rest as images). */
export const tableFile = /\.(csv|tsv|txt)$/i

/** Names at the top of what was picked or dropped: a file's name, or the folder it is in. */
function topName(f: PickedFile): string {
  return f.relativePath.split('/')[0]!
}

/** Why an image project does not take `names` (one or more tables). */
export function tablesRefused(names: string): string {
  return `${names}: this is an image project, so it takes images, not tables; import a table into a new project`
}

/** What to do with a pick or drop: preview one table, import the images, or refuse; and what to tell the user. */
export type PickRoute =
  | { action: 'table'; table: PickedFile; note: string | null }
  | { action: 'images'; files: PickedFile[]; note: string | null }
  | { action: 'refuse'; message: string }

const list = (names: string[]): string =>
  names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`

/**
 * Routes by kind: a table (a loose CSV/TSV) goes to the table preview, images and folders to the image
 * import. A project holds one kind, so a mixed drop imports what the project takes and says what it did
 * with the rest; a table project refuses images and an image project refuses tables, with the reason.
 */
export function routePicked(files: readonly PickedFile[], kind: 'image' | 'table' | null): PickRoute {
  const tables = files.filter((f) => !f.relativePath.includes('/') && tableFile.test(f.relativePath))
  const others = files.filter((f) => !tables.includes(f))
  const tableNames = tables.map(topName)
  const otherNames = [...new Set(others.map(topName))]
  if (tables.length > 0 && kind !== 'image') {
    const notes = [
      tables.length > 1 &&
        `Tables are imported one at a time: ${list(tableNames.slice(1))} not imported; import ${tables.length > 2 ? 'each' : 'it'} on its own.`,
      others.length > 0 &&
        `${list(otherNames)} not imported: a project holds a table or images, not both; import the images into another project.`,
    ].filter((n): n is string => typeof n === 'string')
    return { action: 'table', table: tables[0]!, note: notes.length > 0 ? notes.join(' ') : null }
  }
  if (others.length === 0) return { action: 'refuse', message: tablesRefused(list(tableNames)) }
  if (kind === 'table') {
    return {
      action: 'refuse',
      message: `${list(otherNames)}: this is a table project, so it takes a CSV or TSV file, not images; import images into a new project`,
    }
  }
  const note =
    tables.length > 0
      ? `${list(tableNames)} not imported: a project holds images or a table, not both; import ${tables.length > 1 ? 'them' : 'it'} into another project.`
      : null
  return { action: 'images', files: others, note }
}

/** A pick narrowed to `files` (the top-level files Electron resolves are narrowed to match). */
export function narrowed(picked: PickedFiles, files: PickedFile[]): PickedFiles {
  const tops = new Set(files.map(topName))
  return {
    native: picked.native.filter((f) => tops.has(f.webkitRelativePath ? f.webkitRelativePath.split('/')[0]! : f.name)),
    entries: async () => files,
  }
}
