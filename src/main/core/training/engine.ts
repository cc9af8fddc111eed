/**
 * Picks the tfjs engine: the fastest backend that loads and passes a smoke op, in this order —
 * tfjs-node-gpu (CUDA), tfjs-node (native CPU), wasm (with our training kernels), then the pure-JS cpu
 * backend — unless one is forced. The receipt says what was chosen and on what machine, and is stored
 * with every run.
 */
import { createRequire } from 'node:module'
import { cpus, platform, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { EngineInfo } from '../../../shared/training'
import { registerWasmTrainingKernels } from './wasm-kernels'

export const engineNames = ['node-gpu', 'node', 'wasm', 'cpu'] as const
export type EngineName = (typeof engineNames)[number]

/** What was chosen and on what machine (the contract's EngineInfo, with the engine's own name). */
export type EngineReceipt = EngineInfo & { engine: EngineName }

const requireHere = createRequire(import.meta.url)

function packageVersion(name: string): string | null {
  try {
    return (requireHere(`${name}/package.json`) as { version: string }).version
  } catch {
    return null
  }
}

function smoke(): void {
  const out = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2])).dataSync())
  if (out[0] !== 1 || out[3] !== 4) throw new Error(`smoke test gave ${Array.from(out).join(',')}`)
}

async function tryEngine(name: EngineName): Promise<string> {
  switch (name) {
    case 'node-gpu':
    case 'node': {
      const pkg = name === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node'
      if (!packageVersion(pkg)) throw new Error(`${pkg} is not installed`)
      await import(pkg)
      await tf.setBackend('tensorflow')
      return 'tensorflow'
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm')
      wasm.setWasmPaths(`${join(dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`)
      registerWasmTrainingKernels()
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise')
      return 'wasm'
    }
    case 'cpu':
      await tf.setBackend('cpu')
      return 'cpu'
  }
}

/** Selects and initialises an engine; `force` skips the others and fails if that one cannot load. */
export async function selectEngine(force?: EngineName): Promise<EngineReceipt> {
  // Production mode: no debug checks, and no console advertising for tfjs-node.
  tf.enableProdMode()
  const skipped: string[] = []
  const order = force ? [force] : engineNames
  for (const name of order) {
    try {
      const backend = await tryEngine(name)
      smoke()
      const cpu = cpus()
      return {
        engine: name,
        backend,
        versions: Object.fromEntries(
          ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']
            .map((p) => [p, packageVersion(p)] as const)
            .filter((e): e is [string, string] => e[1] !== null),
        ),
        cpu: cpu[0]?.model.trim() ?? 'unknown',
        cores: cpu.length,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        os: `${platform()} ${release()}`,
        node: process.versions.node,
        skipped,
      }
    } catch (err) {
      skipped.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
    }
  }
  throw new Error(`No training engine could start (${skipped.join('; ')})`)
}
