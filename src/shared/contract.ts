/**
 * The one contract between the renderer and the core: every method (renderer → core) and every event
 * (core → renderer), with their payload types. The preload, the Electron IPC registration and the HTTP
 * bridge all loop over `methodNames` / `eventNames`; the zod schemas that validate inputs live beside
 * this file in `schemas.ts`. This module has no runtime dependencies so the sandboxed preload can use it.
 */

export const errorCodes = ['INVALID_ARGUMENT', 'NOT_FOUND', 'CONFLICT', 'INVALID_STATE', 'INTERNAL'] as const
export type ErrorCode = (typeof errorCodes)[number]

export interface ContractError {
  code: ErrorCode
  message: string
  /** Dotted path of the offending input field, for INVALID_ARGUMENT. */
  field?: string
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ContractError }

export interface Project {
  id: string
  name: string
  description: string
  /** Epoch milliseconds. */
  createdAt: number
  updatedAt: number
  /** When the project was last opened, or null if never: the most recent one is reopened at start. */
  openedAt: number | null
}

export interface AppInfo {
  appName: 'ModelBench'
  version: string
  /** How the renderer reaches the core. */
  shell: 'electron' | 'server'
  dataDir: string
  schemaVersion: number
  nodeVersion: string
  platform: string
}

type Empty = Record<string, never>

/** Every method: its single object argument and its result. */
export interface Methods {
  'app.getInfo': { input: Empty; output: AppInfo }
  'projects.list': { input: Empty; output: Project[] }
  'projects.get': { input: { id: string }; output: Project }
  'projects.create': { input: { name: string; description?: string }; output: Project }
  'projects.open': { input: { id: string }; output: Project }
  'projects.rename': { input: { id: string; name: string }; output: Project }
  'projects.delete': { input: { id: string }; output: { id: string } }
  'projects.restore': { input: { id: string }; output: Project }
}

/** Every event the core emits, with its payload. */
export interface Events {
  'projects.changed': { reason: 'created' | 'opened' | 'renamed' | 'deleted' | 'restored'; projectId: string }
}

export type MethodName = keyof Methods
export type MethodInput<M extends MethodName> = Methods[M]['input']
export type MethodOutput<M extends MethodName> = Methods[M]['output']
export type EventName = keyof Events
export type EventPayload<E extends EventName> = Events[E]

/**
 * The runtime lists. Written as object literals checked against the interfaces, so leaving a method or an
 * event out (or listing one that does not exist) fails to compile.
 */
const methodTable = {
  'app.getInfo': true,
  'projects.list': true,
  'projects.get': true,
  'projects.create': true,
  'projects.open': true,
  'projects.rename': true,
  'projects.delete': true,
  'projects.restore': true,
} as const satisfies Record<MethodName, true>

const eventTable = {
  'projects.changed': true,
} as const satisfies Record<EventName, true>

export const methodNames = Object.keys(methodTable) as MethodName[]
export const eventNames = Object.keys(eventTable) as EventName[]

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methodTable, name)
}

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(eventTable, name)
}

/** What the preload exposes as `window.modelbench`: one function per method, plus `on`. */
export type ModelBenchBridge = {
  [M in MethodName]: (input: MethodInput<M>) => Promise<Result<MethodOutput<M>>>
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}

/** IPC channel names used by the preload and the Electron registration. */
export const ipcChannels = {
  method: (name: MethodName) => `modelbench:${name}`,
  event: 'modelbench:event',
} as const
