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
