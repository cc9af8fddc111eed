import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../test-support/temp-dir'
import { crc32, zipFolder } from './zip'

const temp = useTempDirs()

describe('zipFolder', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array(0))).toBe(0)
  })

  it('packs a folder that Info-ZIP unzip reads back byte for byte, under the folder name, without links', () => {
    const dir = temp()
    mkdirSync(join(dir, 'tfjs'))
    const weights = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256))
    writeFileSync(join(dir, 'tfjs', 'group1-shard1of1.bin'), weights)
    writeFileSync(join(dir, 'MODEL_CARD.md'), '# Model card\n\n'.repeat(50))
    writeFileSync(join(dir, 'labels façade.json'), '["0","1"]')
    symlinkSync('/etc/passwd', join(dir, 'link'))
    const zip = join(temp(), 'export.zip')
    writeFileSync(zip, zipFolder(dir, 'digits-run-1'))

    expect(execFileSync('unzip', ['-tq', zip]).toString()).toContain('No errors detected')
    const listing = execFileSync('unzip', ['-Z1', zip]).toString().trim().split('\n')
    expect(listing).toEqual([
      'digits-run-1/MODEL_CARD.md',
      'digits-run-1/labels façade.json',
      'digits-run-1/tfjs/group1-shard1of1.bin',
    ])
    expect(execFileSync('unzip', ['-p', zip, 'digits-run-1/tfjs/group1-shard1of1.bin']).equals(weights)).toBe(true)
    expect(execFileSync('unzip', ['-p', zip, 'digits-run-1/MODEL_CARD.md']).toString()).toBe(
      '# Model card\n\n'.repeat(50),
    )
  })
})
