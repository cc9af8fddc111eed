/**
 * The project's unsaved work (the Model page's draft, the Train page's settings), kept by the core so it
 * survives leaving a page, another tab and a restart. Cached per project for this window; each change is
 * saved shortly after (changes in a burst are one save) and at once when the page goes away.
 */
import type { ProjectDrafts } from '../../shared/contract'
import { api } from './api'

const cache = new Map<string, ProjectDrafts>()
const pending = new Map<string, { patch: Partial<ProjectDrafts>; timer: ReturnType<typeof setTimeout> }>()
const saveDelayMs = 300

export async function loadDrafts(projectId: string): Promise<ProjectDrafts> {
  const cached = cache.get(projectId)
  if (cached) return cached
  const drafts = await api.call('projects.getDrafts', { id: projectId })
  // A change made while the drafts were loading wins over what was stored.
  const merged = { ...drafts, ...(pending.get(projectId)?.patch ?? {}) }
  cache.set(projectId, merged)
  return merged
}

/** What is known now without asking the core (undefined until `loadDrafts` has answered once). */
export function cachedDrafts(projectId: string): ProjectDrafts | undefined {
  return cache.get(projectId)
}

function send(projectId: string): Promise<void> {
  const p = pending.get(projectId)
  if (!p) return Promise.resolve()
  clearTimeout(p.timer)
  pending.delete(projectId)
  return api.call('projects.saveDrafts', { id: projectId, ...p.patch }).then(
    () => undefined,
    (err: unknown) => console.error('modelbench: could not keep the draft:', err),
  )
}

export function saveDraft(projectId: string, patch: Partial<ProjectDrafts>): void {
  const current = cache.get(projectId)
  if (current) cache.set(projectId, { ...current, ...patch })
  const before = pending.get(projectId)
  if (before) clearTimeout(before.timer)
  pending.set(projectId, {
    patch: { ...(before?.patch ?? {}), ...patch },
    timer: setTimeout(() => void send(projectId), saveDelayMs),
  })
}

/** Saves what is waiting now (the page is going away, or a test wants it written). */
export function flushDrafts(): Promise<void> {
  return Promise.all([...pending.keys()].map(send)).then(() => undefined)
}

if (typeof window !== 'undefined') window.addEventListener('pagehide', () => void flushDrafts())
