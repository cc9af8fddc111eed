/**
 * Picks the tfjs engine: the fastest backend that loads and passes a smoke op, in this order —
 * tfjs-node-gpu (CUDA), tfjs-node (native CPU), webgpu (a hardware WebGPU adapter: Metal, Vulkan,
 * Direct3D 12), wasm (with our training kernels), then the pure-JS cpu backend — unless one is forced (by
 * the caller or MODELBENCH_ENGINE). The receipt says what was chosen and on what machine, and is stored
 * with every run.
 */
import { createRequire } from 'node:module'
import { cpus, platform, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { engineOrder, type EngineChoice } from '../../../shared/engines'
import type { EngineInfo, GpuAdapterInfo } from '../../../shared/training'
import { registerWasmTrainingKernels } from './wasm-kernels'
import { probeAdapter, startWebgpu } from './webgpu'

export const engineNames = engineOrder
export type EngineName = EngineChoice

/** MODELBENCH_ENGINE, when it names an engine; a problem to report when it names none. */
export function engineFromEnvironment(env: NodeJS.ProcessEnv = process.env): { engine?: EngineName; problem?: string } {
  const value = env.MODELBENCH_ENGINE?.trim()
  if (!value || value === 'auto') return {}
  if ((engineNames as readonly string[]).includes(value)) return { engine: value as EngineName }
  return { problem: `MODELBENCH_ENGINE=${value} is not an engine (${engineNames.join(', ')} or auto); it was ignored` }
}

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

async function smoke(): Promise<void> {
  const product = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2])))
  const out = await product.data()
  product.dispose()
  if (out[0] !== 1 || out[3] !== 4) throw new Error(`smoke test gave ${Array.from(out).join(',')}`)
}

async function tryEngine(name: EngineName, forced: boolean, found: { adapter?: GpuAdapterInfo }): Promise<string> {
  switch (name) {
    case 'node-gpu':
    case 'node': {
      const pkg = name === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node'
      if (!packageVersion(pkg)) throw new Error(`${pkg} is not installed`)
      await import(pkg)
      await tf.setBackend('tensorflow')
      return 'tensorflow'
    }
    case 'webgpu':
      found.adapter = await startWebgpu(forced)
      return 'webgpu'
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

/**
 * Selects and initialises an engine; `force` (or else MODELBENCH_ENGINE) skips the others and fails if
 * that one cannot load.
 */
export async function selectEngine(force?: EngineName): Promise<EngineReceipt> {
  // Production mode: no debug checks, and no console advertising for tfjs-node.
  tf.enableProdMode()
  const fromEnv = force ? {} : engineFromEnvironment()
  const skipped: string[] = fromEnv.problem ? [fromEnv.problem] : []
  const forced = force ?? fromEnv.engine
  const order = forced ? [forced] : engineNames
  for (const name of order) {
    try {
      const found: { adapter?: GpuAdapterInfo } = {}
      const backend = await tryEngine(name, forced !== undefined, found)
      await smoke()
      const cpu = cpus()
      return {
        engine: name,
        backend,
        versions: Object.fromEntries(
          [
            '@tensorflow/tfjs',
            '@tensorflow/tfjs-backend-wasm',
            '@tensorflow/tfjs-backend-webgpu',
            'webgpu',
            '@tensorflow/tfjs-node',
            '@tensorflow/tfjs-node-gpu',
          ]
            .map((p) => [p, packageVersion(p)] as const)
            .filter((e): e is [string, string] => e[1] !== null),
        ),
        cpu: cpu[0]?.model.trim() ?? 'unknown',
        cores: cpu.length,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        os: `${platform()} ${release()}`,
        node: process.versions.node,
        skipped,
        ...(found.adapter ? { adapter: found.adapter } : {}),
      }
    } catch (err) {
      skipped.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
    }
  }
  throw new Error(`No training engine could start (${skipped.join('; ')})`)
}

/** What the GPU doctor shows: the engine training would start (or why none), and the WebGPU adapter. */
export interface EngineProbe {
  engine: EngineReceipt | null
  engineProblem: string | null
  webgpu: { adapter: GpuAdapterInfo | null; problem: string | null }
}

export async function probeEngines(force?: EngineName): Promise<EngineProbe> {
  let engine: EngineReceipt | null = null
  let engineProblem: string | null = null
  try {
    engine = await selectEngine(force)
  } catch (err) {
    engineProblem = err instanceof Error ? err.message : String(err)
  }
  const webgpu = engine?.adapter ? { adapter: engine.adapter, problem: null } : await probeAdapter()
  return { engine, engineProblem, webgpu }
}
