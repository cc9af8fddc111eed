/** Set-up for specs about how pages look and behave with data: a digits project, with a finished run or without. */
import { writeDigitsFolder } from '../../../src/main/core/datasets/sample-data'
import { callApi, expect } from './fixtures'
import type { ServerHandle } from './server'

/** A digits project (`perClass` images of each digit) imported and open; its id. */
export async function digitsProject(server: ServerHandle, sourceDir: string, perClass: number): Promise<string> {
  await writeDigitsFolder(sourceDir, perClass)
  const project = await callApi<{ id: string }>(server, 'projects.create', { name: 'Digits' })
  await callApi(server, 'projects.open', { id: project.id })
  const started = await callApi<{ id: string }>(server, 'datasets.importImages', {
    projectId: project.id,
    paths: [sourceDir],
  })
  await expect
    .poll(async () => (await callApi<{ status: string }>(server, 'imports.get', { importId: started.id })).status, {
      timeout: 60_000,
    })
    .toBe('completed')
  return project.id
}

export async function digitsWithRun(
  server: ServerHandle,
  sourceDir: string,
  perClass: number,
): Promise<{ projectId: string; runId: string }> {
  const projectId = await digitsProject(server, sourceDir, perClass)
  const spec = {
    inputShape: [28, 28, 1],
    layers: [
      { type: 'Flatten', config: {} },
      { type: 'Dense', config: { units: 10, activation: 'softmax' } },
    ],
  }
  const run = await callApi<{ id: string }>(server, 'runs.start', {
    projectId,
    spec,
    seed: 1,
    hyperparameters: { epochs: 1 },
  })
  await expect
    .poll(async () => (await callApi<{ status: string }>(server, 'runs.get', { runId: run.id })).status, {
      timeout: 60_000,
    })
    .toBe('completed')
  return { projectId, runId: run.id }
}
