import { describe, expect, it } from 'vitest'
import type { EventName, Project } from '../../shared/contract'
import { useTempDirs } from '../test-support/temp-dir'
import { createCore, type Core } from './core'
import { migrations } from './store/migrations'
import { value } from '../test-support/result'

const tempDir = useTempDirs()

function open(dir = tempDir()): Core {
  return createCore({ dataDir: dir, shell: 'server', version: '1.2.3' })
}

describe('core: projects', () => {
  it('creates, lists, renames, deletes and restores a project, emitting projects.changed each time', async () => {
    const core = open()
    const seen: Array<[EventName, unknown]> = []
    core.events.onAny((e, p) => seen.push([e, p]))

    const created = value<Project>(await core.call('projects.create', { name: '  Cats vs dogs  ' }))
    expect(created.name).toBe('Cats vs dogs')
    expect(created.createdAt).toBe(created.updatedAt)
    expect(value<Project[]>(await core.call('projects.list', {}))).toEqual([created])

    const renamed = value<Project>(await core.call('projects.rename', { id: created.id, name: 'Pets' }))
    expect(renamed.name).toBe('Pets')
    expect(value<Project>(await core.call('projects.get', { id: created.id })).name).toBe('Pets')

    expect(value(await core.call('projects.delete', { id: created.id }))).toEqual({ id: created.id })
    expect(value<Project[]>(await core.call('projects.list', {}))).toEqual([])
    expect(await core.call('projects.get', { id: created.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })

    const restored = value<Project>(await core.call('projects.restore', { id: created.id }))
    expect(restored.name).toBe('Pets')
    expect(seen.map(([, p]) => (p as { reason: string }).reason)).toEqual(['created', 'renamed', 'deleted', 'restored'])
    await core.close()
  })

  it('records the opened project so the app reopens it after a restart', async () => {
    const dir = tempDir()
    const first = open(dir)
    const a = value<Project>(await first.call('projects.create', { name: 'A' }))
    const b = value<Project>(await first.call('projects.create', { name: 'B' }))
    expect(a.openedAt).toBeNull()
    const opened = value<Project>(await first.call('projects.open', { id: b.id }))
    expect(opened.openedAt).toEqual(expect.any(Number))
    await first.close()
    const second = open(dir)
    const list = value<Project[]>(await second.call('projects.list', {}))
    expect(list.find((p) => p.id === b.id)?.openedAt).toBe(opened.openedAt)
    expect(list.find((p) => p.id === a.id)?.openedAt).toBeNull()
    expect(await second.call('projects.open', { id: 'missing' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
    await second.close()
  })

  it('keeps each project’s drafts (model and train settings) across a restart, part by part', async () => {
    const dir = tempDir()
    const first = open(dir)
    const a = value<Project>(await first.call('projects.create', { name: 'A' }))
    const b = value<Project>(await first.call('projects.create', { name: 'B' }))
    expect(value(await first.call('projects.getDrafts', { id: a.id }))).toEqual({ model: null, train: null })
    const model = { name: 'Tiny digits', spec: { inputShape: [28, 28, 1], layers: [{ type: 'Flatten', config: {} }] } }
    await first.call('projects.saveDrafts', { id: a.id, model })
    expect(
      value(await first.call('projects.saveDrafts', { id: a.id, train: { epochs: 12, learningRate: 0.003 } })),
    ).toEqual({ model, train: { epochs: 12, learningRate: 0.003 } })
    await first.close()
    const second = open(dir)
    expect(value(await second.call('projects.getDrafts', { id: a.id }))).toEqual({
      model,
      train: { epochs: 12, learningRate: 0.003 },
    })
    expect(value(await second.call('projects.getDrafts', { id: b.id }))).toEqual({ model: null, train: null })
    expect(value(await second.call('projects.saveDrafts', { id: a.id, model: null }))).toEqual({
      model: null,
      train: { epochs: 12, learningRate: 0.003 },
    })
    expect(await second.call('projects.getDrafts', { id: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
    expect(await second.call('projects.saveDrafts', { id: a.id, train: { notes: 'x'.repeat(300_000) } })).toMatchObject(
      {
        ok: false,
        error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('drafts hold at most 256 KB') },
      },
    )
    expect(
      await second.call('projects.saveDrafts', { id: a.id, model: { name: 'x', spec: {}, extra: 1 } }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    await second.close()
  })

  it('keeps projects across a restart', async () => {
    const dir = tempDir()
    const first = open(dir)
    const created = value<Project>(await first.call('projects.create', { name: 'Persisted' }))
    await first.close()
    const second = open(dir)
    expect(value<Project[]>(await second.call('projects.list', {}))).toEqual([created])
    await second.close()
  })

  it('refuses a duplicate name (ignoring case) with CONFLICT naming the field, and frees the name on delete', async () => {
    const core = open()
    const a = value<Project>(await core.call('projects.create', { name: 'Digits' }))
    expect(await core.call('projects.create', { name: 'DIGITS' })).toEqual({
      ok: false,
      error: { code: 'CONFLICT', message: 'A project named "DIGITS" already exists', field: 'name' },
    })
    const b = value<Project>(await core.call('projects.create', { name: 'Other' }))
    expect(await core.call('projects.rename', { id: b.id, name: 'digits' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    })
    await core.call('projects.delete', { id: a.id })
    value<Project>(await core.call('projects.create', { name: 'Digits' }))
    // The deleted one can no longer come back under the same name.
    expect(await core.call('projects.restore', { id: a.id })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
    await core.close()
  })

  it.each([
    [{ name: '' }, 'name', 'name: A project needs a name'],
    [{ name: '   ' }, 'name', 'name: A project needs a name'],
    [{ name: 'x'.repeat(121) }, 'name', 'name: A project name can be at most 120 characters'],
    [{ name: 'bad\u0007name' }, 'name', 'name: A project name cannot contain control characters'],
    [{ name: 42 }, 'name', 'name: Invalid input: expected string, received number'],
    [{}, 'name', 'name is required'],
    [{ name: 'ok', colour: 'red' }, 'colour', 'Unknown field "colour"'],
  ])('rejects projects.create input %j with INVALID_ARGUMENT naming %s', async (input, field, message) => {
    const core = open()
    expect(await core.call('projects.create', input)).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', field, message },
    })
    expect(value<Project[]>(await core.call('projects.list', {}))).toEqual([])
    await core.close()
  })

  it('answers an unknown method with NOT_FOUND and a missing project with NOT_FOUND naming the id', async () => {
    const core = open()
    expect(await core.call('projects.explode', {})).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(await core.call('projects.rename', { id: 'nope', name: 'x' })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'Project "nope" was not found' },
    })
    await core.close()
  })

  it('reports app info with the schema version', async () => {
    const dir = tempDir()
    const core = open(dir)
    expect(value(await core.call('app.getInfo', {}))).toMatchObject({
      appName: 'ModelBench',
      version: '1.2.3',
      shell: 'server',
      dataDir: dir,
      schemaVersion: migrations.at(-1)!.id,
    })
    await core.close()
  })
})
