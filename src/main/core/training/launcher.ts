/**
 * Starting the trainer process. Headless it is `child_process.fork`; the Electron glue passes its own
 * launcher built on `utilityProcess`. Either way the core sees a `TrainerChild`.
 */
import { fork } from 'node:child_process'
import type { FromTrainer, ToTrainer } from './protocol'

export interface TrainerChild {
  send(message: ToTrainer): void
  onMessage(listener: (message: FromTrainer) => void): void
  /** Called once when the process ends; `signal` is set when it was killed. */
  onExit(listener: (code: number | null, signal: string | null) => void): void
  kill(): void
  /** The process id, where the launcher knows it (tests use it to freeze a trainer). */
  readonly pid?: number | undefined
  /** Stops following without ending the training (a cluster job goes on when the app closes). */
  detach?(): void
}

export type TrainerLauncher = () => TrainerChild

export function forkLauncher(entry: string, execArgv: string[] = []): TrainerLauncher {
  return () => {
    const child = fork(entry, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    return {
      send: (m) => {
        if (child.connected) child.send(m)
      },
      onMessage: (l) => child.on('message', (m) => l(m as FromTrainer)),
      onExit: (l) => child.once('exit', (code, signal) => l(code, signal)),
      kill: () => child.kill('SIGKILL'),
      pid: child.pid,
    }
  }
}
