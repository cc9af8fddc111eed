/**
 * The `modelbench` command line (plain Node, no Electron). `serve` runs the headless server: the whole
 * app in any browser, bound to 127.0.0.1 with a random access token unless told otherwise. `export`
 * exports a completed run for deployment and checks it; `predict` runs an export folder on files.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { exportFormatNames, exportFormats, type ExportFormat, type ExportRecord } from '../shared/export'
import { createCore, type CoreOptions } from './core/core'
import { forkVerifier } from './core/export/export-service'
import { ExportFolderError, predictFiles } from './core/export/predict-files'
import { backupsDirName, listBackups } from './core/store/backups'
import { DataDirError, restoreBackup } from './core/store/database'
import { DataDirLockedError, lockOwner } from './core/store/lock'
import { forkLauncher } from './core/training/launcher'
import { defaultDataDir } from './data-dir'
import { isLoopback, startServer } from './server/http-server'
import { appVersion } from './version'

const usage = `Usage: modelbench <command> [options]

Commands:
  serve      Run ModelBench as a local web server and print the URL to open
  export     Export a completed run for deployment (TF.js and/or ONNX) and check it
  predict    Predict image files, or the rows of CSV/TSV files, with an exported model (JSON lines)
  backups    List the database backups ModelBench keeps (daily and before each update)
  restore    Put a backup back in place of the database (the replaced file is kept beside it)
  worker     Train one run from a cluster job folder (what a Slurm job runs on a node)

Options for serve:
  --host <address>    Address to bind (default 127.0.0.1; anything else is reachable from other machines)
  --port <number>     Port to listen on (default 4780, or the next free one; 0 picks any free port)
  --data-dir <path>   Where projects and runs are stored (default ${defaultDataDir()})
  --no-sample         Do not create the digits sample project on first start
  -h, --help          Show this help
  -v, --version       Show the version

  modelbench export --run <id> --out <folder> [--format tfjs|onnx]… [--data-dir <path>]
    --run <id>          The run to export (its id, as the Runs page and the Export page show it)
    --out <folder>      A new or empty folder for the export
    --format <name>     tfjs or onnx; give it twice for both (default: both)
    Exits 0 when every format was verified, 1 otherwise.

  modelbench predict --model <export folder> [--format tfjs|onnx] <files…>
    Prints one JSON line per image (or table row): file, label, probabilities (or value).
    Files that cannot be read are reported on stderr and make the exit code 1.

  modelbench backups [--data-dir <path>]
  modelbench restore [--backup <file>] [--data-dir <path>]
    Restores the newest backup unless --backup names one. ModelBench must be closed.

  modelbench worker --job <folder>
    Trains the run in a job folder the app wrote to the cluster's shared folder, reporting into it;
    started again in the same folder it resumes from its last checkpoint.
  modelbench worker --check <folder>
    The cluster profile's test: starts the engine and writes what it found into the folder.`

export class UsageError extends Error {}

const defaultPort = 4780

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--port must be a whole number from 0 to 65535, not "${text}"`)
  return n
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-sample': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(usage)
    return
  }
  const host = values.host ?? '127.0.0.1'
  const explicitPort = parsePort(values.port)
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
  const staticDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'renderer')

  const core = createCore({
    dataDir,
    shell: 'server',
    version: appVersion,
    sampleOnFirstStart: !values['no-sample'],
    ...childProcesses(),
  })
  let server
  for (let attempt = 0; ; attempt++) {
    const port = explicitPort ?? defaultPort + attempt
    try {
      server = await startServer({ core, host, port, staticDir })
      break
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE' && explicitPort === undefined && attempt < 20) continue
      await core.close()
      if (code === 'EADDRINUSE') throw new UsageError(`Port ${port} is already in use; choose another with --port`)
      if (code === 'EADDRNOTAVAIL') throw new UsageError(`Cannot bind to ${host}: no such address on this machine`)
      throw err
    }
  }

  core.lock?.update({ url: server.url, token: server.token })
  console.log(`ModelBench ${appVersion} — headless server`)
  console.log(`Data directory: ${dataDir}`)
  if (!isLoopback(host)) {
    console.log(`Warning: bound to ${host}; anyone who can reach this machine and has the token can use it.`)
    console.log(
      'The token and everything you do travel over plain HTTP (not encrypted): use this only on a network you trust, or put an HTTPS proxy in front.',
    )
  }
  console.log(`Open ModelBench at: ${server.openUrl}`)
  console.log('Press Ctrl+C to stop.')

  const running = server
  const stop = (): void => {
    void running
      .close()
      .then(() => core.close())
      .then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** The built trainer and export-check entries next to this file; from source, the core's tsx defaults. */
function childProcesses(): Pick<CoreOptions, 'trainer' | 'verifier'> {
  const here = dirname(fileURLToPath(import.meta.url))
  const trainer = join(here, 'trainer.js')
  return existsSync(trainer)
    ? { trainer: forkLauncher(trainer), verifier: forkVerifier(join(here, 'verify-export.js')) }
    : {}
}

function parseFormats(values: string[] | undefined): ExportFormat[] {
  const formats = (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase())
  for (const f of formats) {
    if (!(exportFormats as readonly string[]).includes(f))
      throw new UsageError(`--format must be tfjs or onnx, not "${f}"`)
  }
  return formats.length > 0 ? [...new Set(formats as ExportFormat[])] : [...exportFormats]
}

async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      run: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(usage)
    return 0
  }
  if (!values.run) throw new UsageError('export needs --run <id>')
  if (!values.out) throw new UsageError('export needs --out <folder>')
  const formats = parseFormats(values.format)
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
  const input = { runId: values.run, formats, dir: resolve(values.out) }
  // A server owns this data directory: ask it to do the export, so only one process writes its work.
  const owner = lockOwner(dataDir)
  if (owner?.url && owner.token) return reportExport(await exportThroughOwner(owner.url, owner.token, input))
  // Otherwise (nobody, or the desktop app, which has no address): export here, leaving others' work alone.
  const core = createCore({ dataDir, shell: 'server', version: appVersion, ownsWork: false, ...childProcesses() })
  try {
    const unsubscribe = core.events.on('exports.progressed', (p) =>
      console.error(`${String(Math.round(p.fraction * 100)).padStart(3)}%  ${p.step}`),
    )
    const started = await core.call('exports.start', input)
    if (!started.ok) {
      console.error(`modelbench: ${started.error.message}`)
      return 1
    }
    const done = await core.exports.whenDone((started.value as ExportRecord).id)
    unsubscribe()
    return reportExport(done)
  } finally {
    await core.close()
  }
}

/** Runs an export through the server that owns the data directory; a refusal comes back as an error string. */
async function exportThroughOwner(
  url: string,
  token: string,
  input: { runId: string; formats: ExportFormat[]; dir: string },
): Promise<ExportRecord | string> {
  const call = async (
    method: string,
    body: unknown,
  ): Promise<{ ok: true; value: ExportRecord } | { ok: false; error: { message: string } }> => {
    const res = await fetch(`${url}api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-modelbench-token': token },
      body: JSON.stringify(body),
    })
    return (await res.json()) as { ok: true; value: ExportRecord } | { ok: false; error: { message: string } }
  }
  console.error(`Asking the ModelBench server at ${url}, which is using this data directory, to export`)
  let result
  try {
    result = await call('exports.start', input)
  } catch (err) {
    return `the ModelBench server at ${url} holds this data directory but does not answer (${(err as Error).message})`
  }
  while (result.ok && result.value.status === 'running') {
    await new Promise((r) => setTimeout(r, 500))
    result = await call('exports.get', { exportId: result.value.id })
  }
  return result.ok ? result.value : result.error.message
}

function reportExport(done: ExportRecord | string): number {
  if (typeof done === 'string') {
    console.error(`modelbench: ${done}`)
    return 1
  }
  if (done.status === 'failed') {
    console.error(`modelbench: the export failed: ${done.error}`)
    return 1
  }
  console.log(`Exported “${done.runName}” to ${done.dir}`)
  for (const r of done.results) {
    const name = exportFormatNames[r.format]
    console.log(
      r.verified
        ? `  ${name}: verified with ${r.runtime} on ${r.checked} inputs${r.sameTop1 !== null ? `, same top class ${r.sameTop1}/${r.checked}` : ''}, largest difference ${r.maxDifference?.toExponential(2)}`
        : `  ${name}: NOT verified: ${r.error}`,
    )
  }
  return done.status === 'verified' ? 0 : 1
}

function dataDirOption(
  args: string[],
  extra: Record<string, { type: 'string' }> = {},
): { dataDir: string; values: Record<string, string | boolean | undefined> } {
  const { values } = parseArgs({
    args,
    options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...extra },
    strict: true,
  })
  return { dataDir: resolve((values['data-dir'] as string | undefined) ?? defaultDataDir()), values }
}

function backupsCommand(args: string[]): number {
  const { dataDir, values } = dataDirOption(args)
  if (values.help) {
    console.log(usage)
    return 0
  }
  const backups = listBackups(dataDir)
  if (backups.length === 0) console.log(`No backups yet in ${join(dataDir, backupsDirName)}`)
  for (const b of backups)
    console.log(
      `${new Date(b.createdAt).toLocaleString()}  ${b.reason.padEnd(22)} ${(b.bytes / 1024).toFixed(0).padStart(8)} KiB  ${b.file}`,
    )
  return 0
}

function restoreCommand(args: string[]): number {
  const { dataDir, values } = dataDirOption(args, { backup: { type: 'string' } })
  if (values.help) {
    console.log(usage)
    return 0
  }
  const owner = lockOwner(dataDir)
  if (owner) throw new DataDirLockedError(dataDir, owner)
  const { restored, keptAs } = restoreBackup(dataDir, values.backup ? resolve(values.backup as string) : undefined)
  console.log(`Restored ${restored}`)
  if (keptAs) console.log(`The replaced database is kept as ${keptAs}`)
  return 0
}

async function predictCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { model: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  })
  if (values.help) {
    console.log(usage)
    return 0
  }
  if (!values.model) throw new UsageError('predict needs --model <export folder>')
  if (positionals.length === 0) throw new UsageError('predict needs at least one file')
  const [format] = values.format ? parseFormats([values.format]) : []
  try {
    const { lines, problems } = await predictFiles(resolve(values.model), positionals, format)
    for (const line of lines) console.log(JSON.stringify(line))
    for (const p of problems) console.error(`modelbench: ${p.file}: ${p.error}`)
    return problems.length > 0 ? 1 : 0
  } catch (err) {
    if (err instanceof ExportFolderError) {
      console.error(`modelbench: ${err.message}`)
      return 1
    }
    throw err
  }
}

async function workerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { job: { type: 'string' }, check: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  })
  if (values.help) {
    console.log(usage)
    return 0
  }
  if (values.check) {
    const { selectEngine } = await import('./core/training/engine')
    const engine = await selectEngine()
    const { writeFileSync } = await import('node:fs')
    const { hostname } = await import('node:os')
    writeFileSync(
      join(resolve(values.check), 'check.json'),
      JSON.stringify({ version: appVersion, host: hostname(), engine: engine.engine }),
    )
    console.log(`modelbench worker check: ok (ModelBench ${appVersion} on ${hostname()}, engine ${engine.engine})`)
    return 0
  }
  if (!values.job) throw new UsageError('worker needs --job <folder> (or --check <folder>)')
  const { runWorker } = await import('./core/cluster/worker')
  // The replica threads' entry, as the trainer process finds it: beside this file, built or under tsx.
  const replicaEntry = fileURLToPath(
    new URL(`./replica-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
  )
  const code = await runWorker(resolve(values.job), existsSync(replicaEntry) ? { replicaEntry } : {})
  // The engine's threads and handles must not keep a finished job on its node.
  setTimeout(() => process.exit(code), 100).unref()
  return code
}

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'serve':
        await serve(rest)
        return 0
      case 'export':
        return await exportCommand(rest)
      case 'predict':
        return await predictCommand(rest)
      case 'backups':
        return backupsCommand(rest)
      case 'restore':
        return restoreCommand(rest)
      case 'worker':
        return await workerCommand(rest)
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(usage)
        return command === undefined ? 2 : 0
      case '-v':
      case '--version':
        console.log(appVersion)
        return 0
      default:
        throw new UsageError(`Unknown command "${command}"`)
    }
  } catch (err) {
    if (err instanceof DataDirError) {
      console.error(`modelbench: ${err.message}`)
      return 3
    }
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`modelbench: ${(err as Error).message}\n\n${usage}`)
      return 2
    }
    throw err
  }
}
