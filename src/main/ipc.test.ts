import { describe, expect, it } from 'vitest'
import { ipcChannels, methodNames } from '../shared/contract'
import { createCore } from './core/core'
import { registerIpc, type IpcMainLike } from './ipc'
import { useTempDirs } from './test-support/temp-dir'

const tempDir = useTempDirs()

type Handler = Parameters<IpcMainLike['handle']>[1]

function fakeIpc(): IpcMainLike & { handlers: Map<string, Handler> } {
  const handlers = new Map<string, Handler>()
  return {
    handlers,
    handle: (channel, listener) => void handlers.set(channel, listener),
    removeHandler: (channel) => void handlers.delete(channel),
  }
}

describe('registerIpc', () => {
  const trusted = 'file:///app/out/renderer/index.html'

  it('registers exactly one handler per contract method and removes them all', async () => {
    const ipc = fakeIpc()
    const core = createCore({ dataDir: tempDir(), shell: 'electron', version: 't' })
    const dispose = registerIpc(
      ipc,
      core,
      (u) => u === trusted,
      () => [],
    )
    expect([...ipc.handlers.keys()].sort()).toEqual(methodNames.map(ipcChannels.method).sort())
    dispose()
    expect(ipc.handlers.size).toBe(0)
    await core.close()
  })

  it('runs calls from our window and refuses calls from any other frame', async () => {
    const ipc = fakeIpc()
    const core = createCore({ dataDir: tempDir(), shell: 'electron', version: 't' })
    registerIpc(
      ipc,
      core,
      (u) => u === trusted,
      () => [],
    )
    const create = ipc.handlers.get(ipcChannels.method('projects.create'))!
    expect(await create({ senderFrame: { url: trusted } }, { name: 'From IPC' })).toMatchObject({ ok: true })
    expect(await create({ senderFrame: { url: 'https://evil.example/' } }, { name: 'Evil' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE' },
    })
    expect(await create({ senderFrame: null }, { name: 'Nobody' })).toMatchObject({ ok: false })
    const list = ipc.handlers.get(ipcChannels.method('projects.list'))!
    expect(await list({ senderFrame: { url: trusted } }, {})).toMatchObject({ ok: true, value: [{ name: 'From IPC' }] })
    await core.close()
  })

  it('forwards core events to live windows only', async () => {
    const ipc = fakeIpc()
    const core = createCore({ dataDir: tempDir(), shell: 'electron', version: 't' })
    const sent: unknown[][] = []
    const live = { send: (...args: unknown[]) => void sent.push(args), isDestroyed: () => false }
    const dead = { send: () => expect.fail('sent to a destroyed window'), isDestroyed: () => true }
    registerIpc(
      ipc,
      core,
      () => true,
      () => [live, dead],
    )
    const result = await core.call('projects.create', { name: 'Evented' })
    expect(sent).toEqual([
      [
        ipcChannels.event,
        'projects.changed',
        { reason: 'created', projectId: (result as { value: { id: string } }).value.id },
      ],
    ])
    await core.close()
  })
})
