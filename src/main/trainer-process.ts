/**
 * Entry of the trainer process (child_process.fork headless, utilityProcess in Electron). It receives
 * one job — `start` (then control messages), `predict`, `export` or `probe` — and reports through the typed
 * protocol; it never touches the database.
 */
import { fileURLToPath } from 'node:url'
import { runExport } from './core/export/export-job'
import { runPrediction, runTraining, type TrainerControl } from './core/training/trainer'
import { unknownMessage, type FromTrainer, type ToTrainer } from './core/training/protocol'
import { messageOf } from '../shared/messages'
import { probeEngines } from './core/training/engine'

interface Port {
  send(message: FromTrainer): void
  onMessage(listener: (message: ToTrainer) => void): void
  exit(code: number): void
}

function nodePort(): Port {
  return {
    send: (m) => process.send?.(m),
    onMessage: (l) => process.on('message', (m) => l(m as ToTrainer)),
    exit: (code) => process.exit(code),
  }
}

function electronPort(parentPort: {
  postMessage(m: unknown): void
  on(e: 'message', l: (e: { data: unknown }) => void): void
}): Port {
  return {
    send: (m) => parentPort.postMessage(m),
    onMessage: (l) => parentPort.on('message', (e) => l(e.data as ToTrainer)),
    exit: (code) => process.exit(code),
  }
}

// The replica threads' entry sits beside this one: replica-worker.js when built, .ts under tsx.
const replicaEntry = fileURLToPath(
  new URL(`./replica-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
)

const electronParent = (process as unknown as { parentPort?: Parameters<typeof electronPort>[0] }).parentPort
const port = electronParent ? electronPort(electronParent) : nodePort()

let wake: (() => void) | null = null
const control: TrainerControl = {
  paused: false,
  stopped: false,
  wait: () => new Promise<void>((resolve) => (wake = resolve)),
}
let started = false
const heartbeatMs = 2000

/** Runs a one-off job (training, predicting, exporting), reports its end and exits. */
function runJob<T>(work: Promise<T>, done: (result: T) => FromTrainer | null): void {
  work.then(
    (result) => {
      const message = done(result)
      if (message) port.send(message)
      setTimeout(() => port.exit(0), 50)
    },
    (err: unknown) => {
      port.send({ type: 'failed', message: messageOf(err) })
      setTimeout(() => port.exit(1), 50)
    },
  )
}

port.onMessage((message) => {
  switch (message.type) {
    case 'start':
      if (started) return
      started = true
      setInterval(() => port.send({ type: 'heartbeat' }), heartbeatMs).unref()
      runJob(
        runTraining(message.job, control, (m) => port.send(m), { replicaEntry }),
        () => null,
      )
      return
    case 'predict':
      runJob(runPrediction(message.job), (answer) => ({ type: 'predicted', ...answer }))
      return
    case 'export':
      runJob(runExport(message.job), (files) => ({ type: 'exported', files }))
      return
    case 'probe':
      runJob(probeEngines(message.engine), (found) => ({ type: 'probed', found }))
      return
    case 'pause':
      control.paused = true
      return
    case 'resume':
      control.paused = false
      break
    case 'stop':
      control.stopped = true
      break
    default:
      unknownMessage(message)
  }
  wake?.()
  wake = null
})
