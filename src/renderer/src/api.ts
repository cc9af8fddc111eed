/**
 * The renderer's only way to reach the core. Inside Electron it uses `window.modelbench` (the preload);
 * in a browser it speaks the same contract over HTTP (`POST /api/<method>`) and server-sent events.
 */
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
}

function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value
  throw new ApiError(result.error)
}

function electronApi(bridge: NonNullable<Window['modelbench']>): Api {
  return {
    shell: 'electron',
    async call(method, input) {
      const fn = bridge[method] as (input: unknown) => Promise<Result<MethodOutput<typeof method>>>
      return unwrap(await fn(input))
    },
    on: (event, listener) => bridge.on(event, listener),
    onConnection: () => () => undefined,
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
        throw new ApiError({ code: 'INTERNAL', message: `The server answered ${response.status} without a readable body` })
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
  }
}

export const api: Api = window.modelbench ? electronApi(window.modelbench) : httpApi()
