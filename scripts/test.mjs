#!/usr/bin/env node
// `npm test`: builds the app, runs the unit tests (Vitest), the end-to-end tests (Playwright against the
// headless server in Chromium) and the Electron security scan, then prints one closing line
// `N passed, N failed` that counts every test and check.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'

const bin = (name) => `node_modules/.bin/${name}`
mkdirSync('test-results', { recursive: true })

function step(label, cmd, args) {
  console.log(`\n=== ${label}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env })
  return r.status ?? 1
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return null
  }
}

let passed = 0
let failed = 0
const lines = []

const buildStatus = step('build', bin('electron-vite'), ['build'])
if (buildStatus !== 0) {
  failed++
  lines.push('build: failed')
} else {
  passed++
  lines.push('build: ok')
}

rmSync('test-results/unit.json', { force: true })
const unitStatus = step('unit tests (vitest)', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=test-results/unit.json',
])
const unit = readJson('test-results/unit.json')
if (unit) {
  passed += unit.numPassedTests
  failed += unit.numFailedTests + (unitStatus !== 0 && unit.numFailedTests === 0 ? 1 : 0)
  lines.push(`unit: ${unit.numPassedTests} passed, ${unit.numFailedTests} failed`)
} else {
  failed++
  lines.push(`unit: no report (exit ${unitStatus})`)
}

if (buildStatus === 0) {
  rmSync('test-results/e2e.json', { force: true })
  const e2eStatus = step('end-to-end tests (playwright)', bin('playwright'), ['test'])
  const e2e = readJson('test-results/e2e.json')
  if (e2e) {
    const s = e2e.stats
    passed += s.expected + s.flaky
    failed += s.unexpected + (e2eStatus !== 0 && s.unexpected === 0 ? 1 : 0)
    lines.push(
      `e2e: ${s.expected + s.flaky} passed, ${s.unexpected} failed${s.flaky ? ` (${s.flaky} flaky)` : ''}, ${s.skipped} skipped`,
    )
  } else {
    failed++
    lines.push(`e2e: no report (exit ${e2eStatus})`)
  }
} else {
  lines.push('e2e: not run, the build failed')
}

const securityStatus = step('electron security scan (electronegativity)', process.execPath, [
  'scripts/electronegativity.mjs',
])
if (securityStatus === 0) passed++
else failed++
lines.push(`security: ${securityStatus === 0 ? 'no HIGH findings' : 'failed'}`)

console.log(`\n=== summary\n${lines.join('\n')}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
