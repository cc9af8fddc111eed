#!/usr/bin/env node
// `npm start`: builds the app and opens it in Electron. Where the Electron binary is not installed and
// cannot be fetched (or there is no display to open a window on), it says so in one line and runs the
// headless server instead, which prints the URL to open in a browser.
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const build = spawnSync('node_modules/.bin/electron-vite', ['build'], { stdio: ['ignore', 'ignore', 'inherit'] })
if (build.status !== 0) {
  console.error('modelbench: the build failed (see above).')
  process.exit(build.status ?? 1)
}

function electronBinary() {
  // Requiring `electron` fetches the binary on first use; offline that fails within a second.
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    encoding: 'utf8',
    timeout: 300_000,
  })
  const path = probe.stdout?.trim()
  return probe.status === 0 && path && existsSync(path) ? path : null
}

/**
 * better-sqlite3 in node_modules is built for Node (the headless server and the tests); Electron needs
 * one built for its own ABI. Build a copy once per Electron version into out/native, where the main
 * process looks for it, leaving node_modules as it is.
 */
async function prepareElectronSqlite() {
  const electronVersion = JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')).version
  const target = join('out', 'native', 'better_sqlite3.node')
  const stamp = `${target}.electron-${electronVersion}`
  if (existsSync(target) && existsSync(stamp)) return
  console.log(`ModelBench: building the database driver for Electron ${electronVersion} (once)…`)
  const work = mkdtempSync(join(tmpdir(), 'modelbench-electron-sqlite-'))
  try {
    writeFileSync(
      join(work, 'package.json'),
      JSON.stringify({ name: 'sqlite-for-electron', dependencies: { 'better-sqlite3': '*' } }),
    )
    cpSync('node_modules/better-sqlite3', join(work, 'node_modules', 'better-sqlite3'), {
      recursive: true,
      filter: (src) => !src.includes(`${join('better-sqlite3', 'build')}`),
    })
    const { rebuild } = await import('@electron/rebuild')
    await rebuild({ buildPath: work, electronVersion, onlyModules: ['better-sqlite3'], force: true })
    mkdirSync(join('out', 'native'), { recursive: true })
    copyFileSync(join(work, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), target)
    writeFileSync(stamp, '')
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

function serveInstead(reason) {
  console.log(`ModelBench: ${reason}; starting the headless server instead — open the URL below in your browser.`)
  const child = spawn(process.execPath, ['bin/modelbench.mjs', 'serve', ...process.argv.slice(2)], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code) => process.exit(code ?? 0))
}

const electron = electronBinary()
const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
if (!electron) {
  serveInstead('the Electron binary is not installed and could not be downloaded')
} else if (!hasDisplay) {
  serveInstead('there is no display to open a window on')
} else {
  let driverReady = true
  try {
    await prepareElectronSqlite()
  } catch (err) {
    driverReady = false
    serveInstead(
      `the database driver could not be built for Electron (${err instanceof Error ? err.message.split('\n')[0] : err})`,
    )
  }
  if (driverReady) {
    const child = spawn(electron, ['.'], { stdio: 'inherit' })
    child.on('exit', (code) => process.exit(code ?? 0))
  }
}
