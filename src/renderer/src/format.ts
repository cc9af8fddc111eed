/** How numbers read in the interface: one formatter per kind, so every page shows them alike. */

import { adapterLabel } from '../../shared/engines'
import type { ClusterJobInfo } from '../../shared/cluster'
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

/** A cluster run's job in words: "on Lab GPUs (Slurm job 42, running on node7)". */
export function jobWords(t: ClusterJobInfo): string {
  const where = t.node ? ` on ${t.node}` : ''
  const state = !t.jobId
    ? 'not submitted yet'
    : t.state === 'PENDING'
      ? `waiting in the queue${t.reason ? ` (${t.reason})` : ''}`
      : t.state
        ? `${t.state.toLowerCase().replace(/_/g, ' ')}${where}`
        : 'submitted'
  const again = t.attempts > 1 ? `, submitted ${t.attempts} times` : ''
  return `on ${t.profileName} (Slurm job ${t.jobId ?? '—'}: ${state}${again})`
}
