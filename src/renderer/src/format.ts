/** How numbers read in the interface: one formatter per kind, so every page shows them alike. */

import { adapterLabel } from '../../shared/engines'
import type { GpuAdapterInfo } from '../../shared/training'

export { capitalized, percent } from '../../shared/words'

/** Seconds as "42 s" or "3 min 5 s". */
export function formatDuration(seconds: number): string {
  return seconds < 60 ? `${Math.round(seconds)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
}

/**
 * The backend a run trained on and, where it trained a batch in parts, on how many threads ("wasm, 2
 * threads"), or on which WebGPU adapter ("on apple metal-3 (Metal driver)").
 */
export function engineDetail(engine: {
  backend: string
  threads?: number
  adapter?: GpuAdapterInfo
  backbone?: { label: string; origin: string; sha256: string; trainableBlocks: number; featureEngine: string }
}): string {
  const base = engine.adapter
    ? `on ${adapterLabel(engine.adapter)}`
    : engine.threads && engine.threads > 1
      ? `${engine.backend}, ${engine.threads} threads`
      : engine.backend
  const b = engine.backbone
  if (!b) return base
  return `${base}; backbone ${b.label} from ${b.origin} (weights sha256 ${b.sha256.slice(0, 12)}…, ${b.trainableBlocks === 0 ? 'frozen' : `${b.trainableBlocks} blocks fine-tuned`}), features on ${b.featureEngine}`
}
