/**
 * How much memory training may use on this machine: most of its RAM, and at most 4 GiB where training
 * runs on the WebAssembly engine (a wasm32 heap cannot grow past that — the "memory access out of bounds"
 * a 3.9 GB model ended in). The native engines, when installed, have only the RAM limit.
 */
import { totalmem } from 'node:os'
import type { MemoryLimit } from '../../../shared/model/memory'
import { installed } from './doctor'

const wasmHeapBytes = 4 * 2 ** 30

export function trainingMemoryLimit(
  total = totalmem(),
  nativeEngine = installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node'),
): MemoryLimit {
  const ram = Math.floor(total * 0.75)
  if (!nativeEngine && wasmHeapBytes < ram)
    return { bytes: wasmHeapBytes, reason: 'the WebAssembly engine’s 4 GB limit' }
  return { bytes: ram, reason: `three quarters of its ${(total / 2 ** 30).toFixed(0)} GB of memory` }
}
