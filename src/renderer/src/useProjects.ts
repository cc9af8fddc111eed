/** The project list, kept fresh by the `projects.changed` event (so other windows' edits show up too). */
import { useEffect, useState } from 'react'
import type { Project } from '../../shared/contract'
import { api } from './api'

export interface ProjectsState {
  projects: Project[] | null
  error: string | null
}

export function useProjects(enabled: boolean): ProjectsState {
  const [projects, setProjects] = useState<Project[] | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (!enabled) return
    let live = true
    const load = (): void => {
      api.call('projects.list', {}).then(
        (list) => {
          if (!live) return
          setProjects(list)
          setError(null)
        },
        (err: unknown) => {
          if (live) setError(err instanceof Error ? err.message : String(err))
        },
      )
    }
    load()
    const off = api.on('projects.changed', load)
    return () => {
      live = false
      off()
    }
  }, [enabled])

  return { projects, error }
}
