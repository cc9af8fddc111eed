/**
 * Electron IPC registration: one handler per contract method, looped over the contract's list, and one
 * channel that forwards core events. Calls are accepted only from frames that show our own renderer.
 * The transport is an interface so this is tested without Electron.
 */
import { ipcChannels, methodNames, type Result } from '../shared/contract'
import type { Core } from './core/core'

export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: { senderFrame: { url: string } | null }, input: unknown) => Promise<unknown>,
  ): void
  removeHandler(channel: string): void
}

export interface EventSink {
  send(channel: string, ...args: unknown[]): void
  isDestroyed(): boolean
}

export function registerIpc(
  ipc: IpcMainLike,
  core: Core,
  isTrustedUrl: (url: string) => boolean,
  sinks: () => EventSink[],
): () => void {
  for (const method of methodNames) {
    ipc.handle(ipcChannels.method(method), async (event, input): Promise<Result<unknown>> => {
      const url = event.senderFrame?.url ?? ''
      if (!isTrustedUrl(url)) {
        return {
          ok: false,
          error: { code: 'INVALID_STATE', message: 'Calls are only accepted from the ModelBench window' },
        }
      }
      return core.call(method, input)
    })
  }
  const unsubscribe = core.events.onAny((event, payload) => {
    for (const sink of sinks()) if (!sink.isDestroyed()) sink.send(ipcChannels.event, event, payload)
  })
  return () => {
    unsubscribe()
    for (const method of methodNames) ipc.removeHandler(ipcChannels.method(method))
  }
}
