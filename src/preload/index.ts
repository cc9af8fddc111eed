/**
 * The preload: exposes `window.modelbench`, built by looping over the contract — one function per
 * method and `on(event, listener)` returning an unsubscribe. Raw ipcRenderer never reaches the page.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron'
import { eventNames, ipcChannels, isEventName, methodNames, type ModelBenchBridge } from '../shared/contract'

const bridge: Record<string, unknown> = {}
for (const method of methodNames) {
  bridge[method] = (input: unknown) => ipcRenderer.invoke(ipcChannels.method(method), input)
}
bridge.on = (event: string, listener: (payload: unknown) => void): (() => void) => {
  if (!isEventName(event)) throw new Error(`Unknown event "${event}"; known: ${eventNames.join(', ')}`)
  const wrapped = (_e: IpcRendererEvent, name: string, payload: unknown): void => {
    if (name === event) listener(payload)
  }
  ipcRenderer.on(ipcChannels.event, wrapped)
  return () => {
    ipcRenderer.removeListener(ipcChannels.event, wrapped)
  }
}

bridge.pathForFile = (file: File): string => webUtils.getPathForFile(file)

contextBridge.exposeInMainWorld('modelbench', bridge as ModelBenchBridge)
