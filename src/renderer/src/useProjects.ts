/** The project list, kept fresh by the `projects.changed` event (so other windows' edits show up too). */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { Project } from '../../shared/contract'
import { api } from './api'
import { messageOf } from '../../shared/messages'

export interface ProjectsState {
  projects: Project[] | null
  error: string | null
  /** Loads the list again; resolves once it is in state. */
  refresh: () => Promise<void>
}

export function useProjects(enabled: boolean): ProjectsState {
  const [projects, setProjects] = useState<Project[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const live = useRef(true)

  const refresh = useCallback(
    () =>
      api.call('projects.list', {}).then(
        (list) => {
          if (!live.current) return
          setProjects(list)
          setError(null)
        },
        (err: unknown) => {
          if (live.current) setError(messageOf(err))
        },
      ),
    [],
  )

  useEffect(() => {
    if (!enabled) return
    live.current = true
    void refresh()
    const off = api.on('projects.changed', () => void refresh())
    return () => {
      live.current = false
      off()
    }
  }, [enabled, refresh])

  return { projects, error, refresh }
}
