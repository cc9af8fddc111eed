/** Starts the built headless server (`modelbench serve`) on a data directory and reads its URL. */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface ServerHandle {
  url: string
  openUrl: string
  token: string
  dataDir: string
  stop(): Promise<void>
}

const root = fileURLToPath(new URL('../../../', import.meta.url))

export function startServer(
  dataDir: string,
  options: { sample?: boolean; env?: Record<string, string> } = {},
): Promise<ServerHandle> {
  const args = [
    join(root, 'bin', 'modelbench.mjs'),
    'serve',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    ...(options.sample ? [] : ['--no-sample']),
  ]
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${output}`)), 20_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const m = /Open ModelBench at: (http:\/\/\S+\/)\?token=([0-9a-f]+)/.exec(output)
      if (!m) return
      clearTimeout(timer)
      const [, url, token] = m as unknown as [string, string, string]
      resolve({
        url,
        token,
        openUrl: `${url}?token=${token}`,
        dataDir,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
}
