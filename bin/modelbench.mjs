#!/usr/bin/env node
// Entry point of the `modelbench` command: runs the built CLI (out/main/cli.js).
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  console.error('modelbench: the app is not built yet. Run `npm run build` in the ModelBench folder first.')
  process.exit(1)
}
const { runCli } = await import(pathToFileURL(cli).href)
const code = await runCli(process.argv.slice(2))
if (code !== 0) process.exitCode = code
