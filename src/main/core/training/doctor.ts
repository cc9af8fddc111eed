/**
 * The GPU doctor: what the machine has for GPU training — the WebGPU adapter (vendor, architecture,
 * driver, hardware or software), and for NVIDIA the driver, CUDA runtime, cuDNN, the tfjs-node-gpu
 * package and whether it loads — and, when the GPU is not used, exactly what is missing, in plain words.
 * Loading tfjs-node-gpu and asking Dawn for an adapter are tried in separate processes so a broken install
 * or driver cannot take the app down.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import type { DoctorReport } from '../../../shared/contract'

const requireHere = createRequire(import.meta.url)

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 8000, env }, (err, stdout) => resolve(err ? null : stdout.toString()))
  })
}

/** Whether an npm package is installed (resolvable from here). */
export function installed(pkg: string): boolean {
  try {
    requireHere.resolve(`${pkg}/package.json`)
    return true
  } catch {
    return false
  }
}

/** Library versions from the dynamic linker's cache, e.g. libcudart.so.11.0 -> "11.0". */
function libraryVersion(ldconfig: string | null, lib: string): string | null {
  const m = ldconfig?.match(new RegExp(`${lib}\\.so\\.([0-9.]+)`))
  return m ? m[1]! : null
}

/** The doctor's steps after starting the engine, in the order gpuReport takes them. */
export const gpuSteps = [
  'Looking for an NVIDIA graphics card',
  'Looking for the CUDA and cuDNN libraries',
  'Trying the GPU engine',
] as const

/** `webgpu`: the adapter a trainer process found (engine.ts probeEngines), passed through to the report. */
export async function gpuReport(
  webgpu: DoctorReport['gpu']['webgpu'],
  onStep: (step: (typeof gpuSteps)[number]) => void = () => {},
): Promise<DoctorReport['gpu']> {
  onStep(gpuSteps[0])
  const smi = await run('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'])
  const gpus = smi ? smi.trim().split('\n').filter(Boolean) : []
  const driver = gpus[0]?.split(',')[1]?.trim() ?? null
  onStep(gpuSteps[1])
  const ldconfig = process.platform === 'linux' ? await run('ldconfig', ['-p']) : null
  const cudaRuntime = libraryVersion(ldconfig, 'libcudart')
  const cudnn = libraryVersion(ldconfig, 'libcudnn')
  const pkgInstalled = installed('@tensorflow/tfjs-node-gpu')
  onStep(gpuSteps[2])
  const loads = pkgInstalled
    ? (await run(process.execPath, ['-e', "require('@tensorflow/tfjs-node-gpu')"], {
        ...process.env,
        ELECTRON_RUN_AS_NODE: '1',
      })) !== null
    : false
  const advice: string[] = []
  if (!driver) advice.push('No NVIDIA GPU driver was found (nvidia-smi is not available), so training runs on the CPU.')
  if (driver && !cudaRuntime?.startsWith('11'))
    advice.push(
      `The NVIDIA driver ${driver} is there, but not the CUDA 11 runtime that tfjs-node-gpu 4.x needs: install CUDA 11.2.`,
    )
  if (driver && !cudnn?.startsWith('8')) advice.push('cuDNN 8 was not found: install cuDNN 8.1 for CUDA 11.2.')
  if (!pkgInstalled)
    advice.push(
      'The GPU engine is not installed: run `npm install @tensorflow/tfjs-node-gpu` in the ModelBench folder (it downloads the TensorFlow library, so it needs internet once).',
    )
  else if (!loads)
    advice.push(
      '@tensorflow/tfjs-node-gpu is installed but does not load; reinstall it, and check the CUDA and cuDNN versions above.',
    )
  return {
    driver,
    gpus: gpus.map((g) => g.split(',')[0]!.trim()),
    cudaRuntime,
    cudnn,
    tfjsNodeGpuInstalled: pkgInstalled,
    tfjsNodeGpuLoads: loads,
    webgpu,
    advice: loads && driver ? [] : advice,
  }
}
