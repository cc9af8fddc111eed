/**
 * The `modelbench` command line (plain Node, no Electron). `serve` runs the headless server: the whole
 * app in any browser, bound to 127.0.0.1 with a random access token unless told otherwise.
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createCore } from './core/core'
import { SchemaError } from './core/store/database'
import { forkLauncher } from './core/training/launcher'
import { defaultDataDir } from './data-dir'
import { isLoopback, startServer } from './server/http-server'
import { appVersion } from './version'

const usage = `Usage: modelbench <command> [options]

Commands:
  serve    Run ModelBench as a local web server and print the URL to open

Options for serve:
  --host <address>    Address to bind (default 127.0.0.1; anything else is reachable from other machines)
  --port <number>     Port to listen on (default 4780, or the next free one; 0 picks any free port)
  --data-dir <path>   Where projects and runs are stored (default ${defaultDataDir()})
  --no-sample         Do not create the digits sample project on first start
  -h, --help          Show this help
  -v, --version       Show the version`

export class UsageError extends Error {}

const defaultPort = 4780

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not "${text}"`)
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

  const here = dirname(fileURLToPath(import.meta.url))
  const core = createCore({
    dataDir,
    shell: 'server',
    version: appVersion,
    sampleOnFirstStart: !values['no-sample'],
    trainer: forkLauncher(join(here, 'trainer.js')),
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

  console.log(`ModelBench ${appVersion} — headless server`)
  console.log(`Data directory: ${dataDir}`)
  if (!isLoopback(host)) console.log(`Warning: bound to ${host}; anyone who can reach this machine and has the token can use it.`)
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

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'serve':
        await serve(rest)
        return 0
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
    if (err instanceof SchemaError) {
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
