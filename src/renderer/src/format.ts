/** How numbers read in the interface: one formatter per kind, so every page shows them alike. */

/** A fraction as a percentage with one decimal ("96.8 %"); a dash when there is no value. */
export function percent(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`
}

/** Seconds as "42 s" or "3 min 5 s". */
export function formatDuration(seconds: number): string {
  return seconds < 60 ? `${Math.round(seconds)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
}

/** The backend a run trained on and, where it trained a batch in parts, on how many threads: "wasm, 2 threads". */
export function engineDetail(engine: { backend: string; threads?: number }): string {
  return engine.threads && engine.threads > 1 ? `${engine.backend}, ${engine.threads} threads` : engine.backend
}
