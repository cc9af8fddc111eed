/** Subscribes to a contract event for the lifetime of a component. */
import { useEffect, useRef } from 'react'
import type { EventName, EventPayload } from '../../shared/contract'
import { api } from './api'

export function useApiEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const ref = useRef(listener)
  useEffect(() => {
    ref.current = listener
  })
  useEffect(() => api.on(event, (payload) => ref.current(payload)), [event])
}
