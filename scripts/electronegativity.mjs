#!/usr/bin/env node
// Runs @doyensec/electronegativity over src/ and fails on any HIGH finding. Prints every finding so
// MEDIUM and LOW ones stay visible. Used by `npm test` (and so by .ci/run).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const electronVersion = require('electron/package.json').version
const cli = join(require.resolve('@doyensec/electronegativity/package.json'), '..', 'dist', 'index.js')
const dir = mkdtempSync(join(tmpdir(), 'electronegativity-'))
const csv = join(dir, 'findings.csv')

// It tries to look up Electron releases online; offline that lookup fails harmlessly, so its output is hidden.
const run = spawnSync(process.execPath, [cli, '-i', 'src', '-e', electronVersion, '-o', csv, '-r', '-v', 'false'], {
  encoding: 'utf8',
})
let text
try {
  text = readFileSync(csv, 'utf8')
} catch {
  console.error(`electronegativity did not produce a report (exit ${run.status}):\n${run.stdout}\n${run.stderr}`)
  process.exit(2)
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const rows = text
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [issue, severity, confidence, file, location] = line.split(',').map((s) => s.replace(/^"|"$/g, ''))
    return { issue, severity, confidence, file, location }
  })
for (const r of rows) console.log(`  ${r.severity.padEnd(8)} ${r.issue} ${r.file}:${r.location} (${r.confidence})`)
const high = rows.filter((r) => r.severity === 'HIGH' || r.severity === 'CRITICAL')
console.log(`electronegativity: ${rows.length} findings, ${high.length} HIGH`)
process.exit(high.length > 0 ? 1 : 0)
