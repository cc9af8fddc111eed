/** Set-up for specs about how pages look and behave with data: a digits project with a finished run. */
import { writeDigitsFolder } from '../../../src/main/core/datasets/sample-data'
import { callApi, expect } from './fixtures'
import type { ServerHandle } from './server'

export async function digitsWithRun(server: ServerHandle, sourceDir: string, perClass: number): Promise<{ projectId: string; runId: string }> {
  await writeDigitsFolder(sourceDir, perClass)
  const project = await callApi<{ id: string }>(server, 'projects.create', { name: 'Digits' })
  await callApi(server, 'projects.open', { id: project.id })
  const started = await callApi<{ id: string }>(server, 'datasets.importImages', { projectId: project.id, paths: [sourceDir] })
  await expect.poll(async () => (await callApi<{ status: string }>(server, 'imports.get', { importId: started.id })).status, { timeout: 60_000 }).toBe('completed')
  const spec = { inputShape: [28, 28, 1], layers: [{ type: 'Flatten', config: {} }, { type: 'Dense', config: { units: 10, activation: 'softmax' } }] }
  const run = await callApi<{ id: string }>(server, 'runs.start', { projectId: project.id, spec, seed: 1, hyperparameters: { epochs: 1 } })
  await expect.poll(async () => (await callApi<{ status: string }>(server, 'runs.get', { runId: run.id })).status, { timeout: 60_000 }).toBe('completed')
  return { projectId: project.id, runId: run.id }
}
