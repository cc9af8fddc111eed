import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Architecture, DatasetSummary, ImportInfo, Project } from '../../shared/contract'
import { useTempDirs } from '../test-support/temp-dir'
import { createCore } from './core'
import { writeDigitsFolder } from './datasets/sample-data'
import { value } from '../test-support/result'

const tempDir = useTempDirs()

const spec = { inputShape: [4], layers: [{ type: 'Dense', config: { units: 3, activation: 'softmax' } }] }

describe('architectures', () => {
  it('saves versions under a name, renames and deletes them, and refuses an impossible stack', async () => {
    const core = createCore({ dataDir: tempDir(), shell: 'server', version: 't' })
    const p = value<Project>(await core.call('projects.create', { name: 'A' }))
    const v1 = value<Architecture>(await core.call('architectures.save', { projectId: p.id, name: 'MLP', spec }))
    const v2 = value<Architecture>(await core.call('architectures.save', { projectId: p.id, name: 'mlp', spec }))
    expect([v1.version, v2.version]).toEqual([1, 2])
    expect(v1.spec.layers[0]).toEqual({
      type: 'Dense',
      config: { units: 3, activation: 'softmax', useBias: true, kernelInitializer: 'glorotUniform' },
    })
    value(await core.call('architectures.save', { projectId: p.id, name: 'Other', spec }))
    expect(await core.call('architectures.rename', { projectId: p.id, name: 'MLP', newName: 'other' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    })
    expect(value(await core.call('architectures.rename', { projectId: p.id, name: 'MLP', newName: 'Tiny' }))).toEqual({
      renamed: 2,
    })
    expect(value(await core.call('architectures.delete', { projectId: p.id, name: 'other' }))).toEqual({ deleted: 1 })
    expect(
      value<Architecture[]>(await core.call('architectures.list', { projectId: p.id })).map((a) => [a.name, a.version]),
    ).toEqual([
      ['Tiny', 2],
      ['Tiny', 1],
    ])
    expect(
      await core.call('architectures.save', {
        projectId: p.id,
        name: 'Bad',
        spec: { inputShape: [4], layers: [{ type: 'MaxPooling2D', config: {} }] },
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('MaxPooling2D needs a 3-D input') },
    })
    await core.close()
  })

  it('suggests an input shape from the data: image size and grey/colour, or the table feature count', async () => {
    const dir = tempDir()
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
    const digits = value<Project>(await core.call('projects.create', { name: 'Digits' }))
    await writeDigitsFolder(join(dir, 'digits'), 2)
    await core.imports.whenDone(
      value<ImportInfo>(
        await core.call('datasets.importImages', { projectId: digits.id, paths: [join(dir, 'digits')] }),
      ).id,
    )
    expect(
      value<DatasetSummary>(await core.call('datasets.get', { projectId: digits.id })).suggestedInputShape,
    ).toEqual([28, 28, 1])
    const iris = value<{ project: Project; import: ImportInfo }>(
      await core.call('projects.createSample', { sample: 'iris' }),
    )
    await core.imports.whenDone(iris.import.id)
    expect(
      value<DatasetSummary>(await core.call('datasets.get', { projectId: iris.project.id })).suggestedInputShape,
    ).toEqual([4])
    await core.close()
  })
})
