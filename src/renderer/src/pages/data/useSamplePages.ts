/**
 * Samples for the virtual grid, fetched a page at a time as rows scroll into view. Label changes are
 * applied to the loaded pages at once (so the grid answers a key press immediately) and confirmed by a
 * reload when the core says the dataset changed.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { SampleFilter, SampleItem } from '../../../../shared/contract'
import { api } from '../../api'
import { messageOf } from '../../../../shared/messages'

export const pageSize = 200

export interface SamplePages {
  total: number | null
  get(index: number): SampleItem | undefined
  /** Makes sure the pages covering [first, last] are loaded (or loading). */
  ensure(first: number, last: number): void
  patchLabels(labels: ReadonlyArray<{ sampleId: number; classId: number | null }>): void
  reload(): void
  error: string | null
}

export function useSamplePages(datasetId: string, filter: SampleFilter): SamplePages {
  const [pages, setPages] = useState<Map<number, SampleItem[]>>(() => new Map())
  const [total, setTotal] = useState<number | null>(null)
  const [error, setError] = useState<string | null>(null)
  const loading = useRef(new Set<number>())
  const generation = useRef(0)
  const filterKey = JSON.stringify(filter)

  const load = useCallback(
    (page: number, gen: number) => {
      if (loading.current.has(page)) return
      loading.current.add(page)
      api
        .call('samples.list', {
          datasetId,
          filter: JSON.parse(filterKey) as SampleFilter,
          offset: page * pageSize,
          limit: pageSize,
        })
        .then(
          ({ items, total: n }) => {
            loading.current.delete(page)
            if (gen !== generation.current) return
            setTotal(n)
            setError(null)
            setPages((old) => new Map(old).set(page, items))
          },
          (err: unknown) => {
            loading.current.delete(page)
            if (gen === generation.current) setError(messageOf(err))
          },
        )
    },
    [datasetId, filterKey],
  )

  const loadedPages = useRef<number[]>([])
  useEffect(() => {
    loadedPages.current = [...pages.keys()]
  }, [pages])

  const reload = useCallback(() => {
    // Refresh the pages on screen; others are dropped and fetched again when needed.
    const keep = loadedPages.current.length > 0 ? loadedPages.current : [0]
    generation.current++
    loading.current.clear()
    const gen = generation.current
    for (const page of keep) load(page, gen)
  }, [load])

  useEffect(() => {
    generation.current++
    loading.current.clear()
    const gen = generation.current
    // Starting over for a new filter; the first page tells the total.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setPages(new Map())
    setTotal(null)
    load(0, gen)
  }, [load])

  return {
    total,
    error,
    get: (index) => pages.get(Math.floor(index / pageSize))?.[index % pageSize],
    ensure: (first, last) => {
      for (let p = Math.floor(Math.max(first, 0) / pageSize); p <= Math.floor(Math.max(last, 0) / pageSize); p++) {
        if (!pages.has(p)) load(p, generation.current)
      }
    },
    patchLabels: (labels) => {
      const byId = new Map(labels.map((l) => [l.sampleId, l.classId]))
      setPages((old) => {
        const next = new Map<number, SampleItem[]>()
        for (const [k, items] of old)
          next.set(
            k,
            items.map((s) => (byId.has(s.id) ? { ...s, classId: byId.get(s.id)! } : s)),
          )
        return next
      })
    },
    reload,
  }
}
