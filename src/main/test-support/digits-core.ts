/** A core on a fresh data directory with a digits project imported through the real import, for the tests. */
import { join } from 'node:path'
import type { ImportInfo, Project } from '../../shared/contract'
import { createCore, type Core, type CoreOptions } from '../core/core'
import { writeDigitsFolder } from '../core/datasets/sample-data'
import { value } from './result'

/** `perDigit` of each MNIST digit, in a project of a core on `dir`/data. */
export async function digitsProject(
  dir: string,
  perDigit: number,
  options: Partial<CoreOptions> = {},
): Promise<{ core: Core; project: Project; dataDir: string }> {
  const dataDir = join(dir, 'data')
  const core = createCore({ dataDir, shell: 'server', version: 't', ...options })
  const project = value<Project>(await core.call('projects.create', { name: 'Digits' }))
  const folder = join(dir, 'digits')
  await writeDigitsFolder(folder, perDigit)
  await core.imports.whenDone(
    value<ImportInfo>(await core.call('datasets.importImages', { projectId: project.id, paths: [folder] })).id,
  )
  return { core, project, dataDir }
}

/** Resolves when run `runId` has ended epoch `epoch` (the moment its checkpoint is recorded). */
export function epochEnded(core: Core, runId: string, epoch: number): Promise<void> {
  return new Promise((resolve) => {
    const off = core.events.onAny((e, p) => {
      const payload = p as { runId: string; epoch: number }
      if (e === 'training.epochEnded' && payload.runId === runId && payload.epoch === epoch) {
        off()
        resolve()
      }
    })
  })
}
