/**
 * A typed event bus for contract events. A service listens to one event with `on`, its payload typed;
 * transports (IPC, server-sent events) forward everything with `onAny`.
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

  /** Listens to one event; the payload has that event's type. Returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.onAny((name, payload) => {
      if (name === event) listener(payload as EventPayload<E>)
    })
  }

  onAny(listener: AnyListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
