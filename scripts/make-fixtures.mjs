#!/usr/bin/env node
// Writes the generated test corpus to tests/fixtures/generated so it can be looked at by hand.
import { rmSync } from 'node:fs'
const { writeImageCorpus } = await import('../tests/fixtures/image-corpus.ts')
const dir = new URL('../tests/fixtures/generated/images/', import.meta.url).pathname
rmSync(dir, { recursive: true, force: true })
const { good, bad } = await writeImageCorpus(dir)
console.log(`wrote ${good.length} good and ${bad.length} bad files to ${dir}`)
