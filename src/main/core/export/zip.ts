/**
 * A folder as a ZIP archive (deflated, with CRC-32 and a central directory; no ZIP64, so up to 4 GiB and
 * 65,535 files — far above an export folder): what a browser user downloads instead of a path on the
 * server's disk. Symbolic links and anything that is not a plain file are left out.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { deflateRawSync } from 'node:zlib'

const crcTable = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** Every plain file under `dir`, as paths relative to it with forward slashes, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name)
      const st = lstatSync(full)
      if (st.isDirectory()) walk(full)
      else if (st.isFile()) out.push(relative(dir, full).split(sep).join('/'))
    }
  }
  walk(dir)
  return out
}

/** DOS date and time fields of a moment (local time, two-second resolution). */
function dosTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((Math.max(1980, d.getFullYear()) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  }
}

/** The ZIP archive of a folder's files, each under `prefix/` (the folder's name, so it unpacks into one folder). */
export function zipFolder(dir: string, prefix: string): Buffer {
  const locals: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  const files = filesUnder(dir)
  for (const rel of files) {
    const full = join(dir, ...rel.split('/'))
    const data = readFileSync(full)
    const packed = deflateRawSync(data)
    // Keep a file stored when deflating does not shrink it (weights often do not).
    const stored = packed.length >= data.length
    const body = stored ? data : packed
    const name = Buffer.from(`${prefix}/${rel}`, 'utf8')
    const { time, date } = dosTime(lstatSync(full).mtime)
    const crc = crc32(data)
    const header = Buffer.alloc(30)
    header.writeUInt32LE(0x04034b50, 0)
    header.writeUInt16LE(20, 4) // version needed: 2.0
    header.writeUInt16LE(0x0800, 6) // names are UTF-8
    header.writeUInt16LE(stored ? 0 : 8, 8)
    header.writeUInt16LE(time, 10)
    header.writeUInt16LE(date, 12)
    header.writeUInt32LE(crc, 14)
    header.writeUInt32LE(body.length, 18)
    header.writeUInt32LE(data.length, 22)
    header.writeUInt16LE(name.length, 26)
    header.writeUInt16LE(0, 28)
    locals.push(header, name, body)
    const entry = Buffer.alloc(46)
    entry.writeUInt32LE(0x02014b50, 0)
    entry.writeUInt16LE(0x0314, 4) // made by: Unix, 2.0
    entry.writeUInt16LE(20, 6)
    entry.writeUInt16LE(0x0800, 8)
    entry.writeUInt16LE(stored ? 0 : 8, 10)
    entry.writeUInt16LE(time, 12)
    entry.writeUInt16LE(date, 14)
    entry.writeUInt32LE(crc, 16)
    entry.writeUInt32LE(body.length, 20)
    entry.writeUInt32LE(data.length, 24)
    entry.writeUInt16LE(name.length, 28)
    entry.writeUInt32LE((0o100644 << 16) >>> 0, 38) // a plain file, rw-r--r--
    entry.writeUInt32LE(offset, 42)
    central.push(entry, name)
    offset += header.length + name.length + body.length
  }
  const centralSize = central.reduce((n, b) => n + b.length, 0)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(files.length, 8)
  end.writeUInt16LE(files.length, 10)
  end.writeUInt32LE(centralSize, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, ...central, end])
}
