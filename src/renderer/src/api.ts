/**
 * The renderer's only way to reach the core. Inside Electron it uses `window.modelbench` (the preload);
 * in a browser it speaks the same contract over HTTP (`POST /api/<method>`) and server-sent events.
 */
import { mediaScheme } from '../../shared/contract'
import type {
  ContractError,
  EventName,
  EventPayload,
  MethodInput,
  MethodName,
  MethodOutput,
  Result,
} from '../../shared/contract'

export class ApiError extends Error {
  readonly code: ContractError['code'] | 'UNREACHABLE'
  readonly field: string | undefined
  constructor(error: ContractError | { code: 'UNREACHABLE'; message: string; field?: string }) {
    super(error.message)
    this.name = 'ApiError'
    this.code = error.code
    this.field = error.field
  }
}

export type ConnectionState = 'connected' | 'reconnecting'

export interface Api {
  readonly shell: 'electron' | 'server'
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
  onConnection(listener: (state: ConnectionState) => void): () => void
  /** URL of an imported image (`blobs`) or its thumbnail (`thumbs`), by content hash. */
  mediaUrl(kind: 'thumbs' | 'blobs', hash: string): string
  /**
   * Paths the core can import for files the user dropped or picked: their own paths in Electron; in a
   * browser, copies uploaded into the data directory (relative folders kept, so class folders survive).
   */
  pathsForFiles(picked: PickedFiles, onProgress?: (done: number, total: number) => void): Promise<string[]>
  /**
   * In a browser, downloads a finished export's folder as a ZIP (the folder is on the server's disk, out of
   * the browser's reach); null in Electron, where the folder is on the user's own disk.
   */
  readonly downloadExport: ((exportId: string) => Promise<void>) | null
}

export interface PickedFile {
  file: File
  /** Path inside what was dropped or picked, e.g. `pets/cats/1.jpg`; just the name for a loose file. */
  relativePath: string
}

/** What the user dropped or picked: the top-level files (Electron resolves their paths) and every file inside. */
export interface PickedFiles {
  native: readonly File[]
  entries: () => Promise<PickedFile[]>
}

function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value
  throw new ApiError(result.error)
}

function electronApi(bridge: NonNullable<Window['modelbench']>): Api {
  return {
    shell: 'electron',
    downloadExport: null,
    async call(method, input) {
      const fn = bridge[method] as (input: unknown) => Promise<Result<MethodOutput<typeof method>>>
      return unwrap(await fn(input))
    },
    on: (event, listener) => bridge.on(event, listener),
    onConnection: () => () => undefined,
    mediaUrl: (kind, hash) => `${mediaScheme}://${kind}/${hash}`,
    async pathsForFiles({ native }) {
      const first = native[0]
      const rel = first?.webkitRelativePath
      // A picked folder arrives as all of its files: import the folder itself so class folders are kept.
      if (first && rel) {
        const full = bridge.pathForFile(first)
        return [full.slice(0, full.length - rel.length) + rel.split('/')[0]!]
      }
      return native.map((f) => bridge.pathForFile(f))
    },
  }
}

const tokenKey = 'modelbench.token'

/** Takes the token from `?token=` (then hides it from the address bar) or from this tab's storage. */
function takeToken(): string | null {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem(tokenKey, fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  return sessionStorage.getItem(tokenKey)
}

function httpApi(): Api {
  const token = takeToken()
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const connectionListeners = new Set<(state: ConnectionState) => void>()
  let source: EventSource | null = null

  function ensureSource(): void {
    if (source) return
    source = new EventSource(token ? `/api/events?token=${encodeURIComponent(token)}` : '/api/events')
    source.onopen = () => connectionListeners.forEach((l) => l('connected'))
    source.onerror = () => connectionListeners.forEach((l) => l('reconnecting'))
  }

  return {
    shell: 'server',
    async downloadExport(exportId) {
      const response = await fetch(`/download/exports/${encodeURIComponent(exportId)}`, {
        headers: token ? { 'x-modelbench-token': token } : {},
      }).catch(() => {
        throw new ApiError({ code: 'UNREACHABLE', message: 'Cannot reach the ModelBench server. Is it still running?' })
      })
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { error?: ContractError } | null
        throw new ApiError(body?.error ?? { code: 'INTERNAL', message: `The download failed (${response.status})` })
      }
      const name = /filename\*=UTF-8''([^;]+)/.exec(response.headers.get('content-disposition') ?? '')?.[1]
      const a = document.createElement('a')
      a.href = URL.createObjectURL(await response.blob())
      a.download = name ? decodeURIComponent(name) : 'export.zip'
      a.click()
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
    },
    async call(method, input) {
      let response: Response
      try {
        response = await fetch(`/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { 'x-modelbench-token': token } : {}) },
          body: JSON.stringify(input),
        })
      } catch {
        throw new ApiError({ code: 'UNREACHABLE', message: 'Cannot reach the ModelBench server. Is it still running?' })
      }
      let body: Result<MethodOutput<typeof method>>
      try {
        body = (await response.json()) as Result<MethodOutput<typeof method>>
      } catch {
        throw new ApiError({
          code: 'INTERNAL',
          message: `The server answered ${response.status} without a readable body`,
        })
      }
      return unwrap(body)
    },
    on(event, listener) {
      ensureSource()
      let set = listeners.get(event)
      if (!set) {
        set = new Set()
        listeners.set(event, set)
        source?.addEventListener(event, (e) => {
          const payload: unknown = JSON.parse((e as MessageEvent<string>).data)
          listeners.get(event)?.forEach((l) => l(payload))
        })
      }
      const l = listener as (payload: unknown) => void
      set.add(l)
      return () => set.delete(l)
    },
    onConnection(listener) {
      ensureSource()
      connectionListeners.add(listener)
      return () => connectionListeners.delete(listener)
    },
    // Relative to the app's own address (`/s/<app key>/`), which opens images without a cookie.
    mediaUrl: (kind, hash) => `media/${kind}/${hash}`,
    async pathsForFiles({ entries }, onProgress) {
      const files = await entries()
      if (files.length === 0)
        throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Nothing to import: no files were dropped' })
      const uploadId = crypto.randomUUID()
      const tops = new Set(files.map((f) => f.relativePath.split('/')[0]!))
      let root = ''
      let last = ''
      for (const [i, { file, relativePath }] of files.entries()) {
        const response = await fetch(`/upload/${uploadId}`, {
          method: 'POST',
          headers: {
            'x-relative-path': encodeURIComponent(relativePath),
            ...(token ? { 'x-modelbench-token': token } : {}),
          },
          body: file,
        })
        ;({ root, path: last } = unwrap((await response.json()) as Result<{ path: string; root: string }>))
        onProgress?.(i + 1, files.length)
      }
      // One loose file is itself (a table is previewed by its path); one folder is imported as a folder (its
      // subfolders are classes); anything else from the upload root.
      if (files.length === 1 && !files[0]!.relativePath.includes('/')) return [last]
      const oneFolder = tops.size === 1 && files.every((f) => f.relativePath.includes('/'))
      return [oneFolder ? `${root}/${[...tops][0]}` : root]
    },
  }
}

export const api: Api = window.modelbench ? electronApi(window.modelbench) : httpApi()
