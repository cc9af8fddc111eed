/**
 * A WebGPU adapter on a machine without a graphics card, for the tests and benchmarks: Chromium's bundled
 * SwiftShader Vulkan driver (Debian's chromium package ships it with its ICD file), found by Dawn through
 * VK_ICD_FILENAMES. Vulkan's loader also wants a private XDG_RUNTIME_DIR. It is a software GPU: it proves
 * correctness, not speed. Set before the first adapter request; trainer processes inherit it.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const icdFiles = [
  process.env.MODELBENCH_SWIFTSHADER_ICD,
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium/vk_swiftshader_icd.json',
].filter((p): p is string => !!p)

/** The variables that point Vulkan at SwiftShader, for a process started with them; or why there are none. */
export function swiftShaderEnv(): { ok: true; env: Record<string, string> } | { ok: false; why: string } {
  const icd = icdFiles.find((p) => existsSync(p))
  if (!icd)
    return {
      ok: false,
      why: `no SwiftShader Vulkan driver (looked for ${icdFiles.join(', ')}; install Debian's chromium package)`,
    }
  const runtime = process.env.XDG_RUNTIME_DIR
  return {
    ok: true,
    env: {
      VK_ICD_FILENAMES: icd,
      XDG_RUNTIME_DIR: runtime && existsSync(runtime) ? runtime : mkdtempSync(join(tmpdir(), 'modelbench-xdg-')),
    },
  }
}

/** Points this process (and the trainer processes it starts) at SwiftShader; returns why not when it cannot. */
export function useSwiftShader(): { ok: true } | { ok: false; why: string } {
  const found = swiftShaderEnv()
  if (found.ok) Object.assign(process.env, found.env)
  return found.ok ? { ok: true } : found
}
