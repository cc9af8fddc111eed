/** The cluster profiles a run can train on now: those whose last test submission passed. */
import { useCallback, useEffect, useState } from 'react'
import type { ClusterProfileRecord } from '../../shared/cluster'
import { api } from './api'
import { useApiEvent } from './useApiEvent'

export function useReadyClusters(): ClusterProfileRecord[] {
  const [ready, setReady] = useState<ClusterProfileRecord[]>([])
  const load = useCallback(() => {
    api.call('clusters.list', {}).then(
      (all) => setReady(all.filter((c) => c.check?.ok)),
      () => setReady([]),
    )
  }, [])
  useEffect(load, [load])
  useApiEvent('clusters.changed', load)
  return ready
}
