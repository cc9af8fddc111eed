/**
 * A typed event bus for contract events. Transports (IPC, server-sent events) subscribe with `onAny`.
 */
import type { EventName, EventPayload } from '../../shared/contract'

type AnyListener = (event: EventName, payload: unknown) => void

export class EventBus {
  private readonly listeners = new Set<AnyListener>()

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event, payload)
      } catch (err) {
        // A broken subscriber (a closed socket, say) must not stop the others or the caller.
        console.error(`modelbench: listener for ${event} failed:`, err)
      }
    }
  }

  onAny(listener: AnyListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
