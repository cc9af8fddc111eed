/** Entry of a replica thread of the trainer (data-parallel training on the wasm engine; see replica.ts). */
import { parentPort } from 'node:worker_threads'
import { serveReplica } from './core/training/replica'

if (!parentPort) throw new Error('replica-worker runs as a worker thread of the trainer')
serveReplica(parentPort as unknown as Parameters<typeof serveReplica>[0])
