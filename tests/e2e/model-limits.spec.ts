import { callApi as call, expect, openApp, saveScreenshot, test } from './support/fixtures'
import { ModelPage } from './support/model-page'

test('a model too big for the machine cannot be started, and says by how much and what to change; a wrong output activation gets a fix', async ({
  page,
  server,
}) => {
  const { project, import: started } = await call<{ project: { id: string }; import: { id: string } }>(
    server,
    'projects.createSample',
    { sample: 'iris' },
  )
  await call(server, 'projects.open', { id: project.id })
  await expect
    .poll(async () => (await call<{ status: string }>(server, 'imports.get', { importId: started.id })).status)
    .toBe('completed')
  await openApp(page, server, '#/model')
  const model = new ModelPage(page)
  await expect(model.rows).toHaveCount(3)
  await model.select(0)
  await model.setNumber('units', 1000000000)
  await expect(page.getByTestId('memory-refusal')).toContainText(
    /This model needs about [\d.]+ GB to train with batch 32, but this machine can give about [\d.]+ GB/,
  )
  await expect(page.getByTestId('memory-refusal')).toContainText(
    'Try fewer units or filters (layer 2, Dense, holds the most weights)',
  )
  await expect(page.getByTestId('train-this-model')).toBeDisabled()
  await saveScreenshot(page, 'model-memory-refusal')
  await model.setNumber('units', 64)
  await expect(page.getByTestId('memory-refusal')).toHaveCount(0)

  // A relu output: the stacker says what the task needs and fixes it in one click.
  await model.select(2)
  await page.getByTestId('setting-activation').selectOption('relu')
  await expect(page.getByTestId('output-mismatch')).toContainText(
    'The output ends with relu at layer 3 (Dense), but a classifier’s output needs softmax',
  )
  await expect(page.getByTestId('train-this-model')).toBeDisabled()
  await page.getByTestId('fix-output').click()
  await expect(page.getByTestId('output-mismatch')).toHaveCount(0)
  await expect(page.getByTestId('train-this-model')).toBeEnabled()
})
