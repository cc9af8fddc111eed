import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { callApi as call, expect, openApp, saveScreenshot, test } from './support/fixtures'

test('a table run: try a row, then export it in both formats, verified, and download the folder as a .zip (item 12)', async ({
  page,
  server,
  sourceDir,
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
  const spec = {
    inputShape: [4],
    layers: [
      { type: 'Dense', config: { units: 12 } },
      { type: 'Dense', config: { units: 3, activation: 'softmax' } },
    ],
  }
  const run = await call<{ id: string }>(server, 'runs.start', {
    projectId: project.id,
    spec,
    seed: 3,
    hyperparameters: { epochs: 40, batchSize: 16, learningRate: 0.02 },
  })
  await expect
    .poll(async () => (await call<{ status: string }>(server, 'runs.get', { runId: run.id })).status, {
      timeout: 60_000,
    })
    .toBe('completed')

  await openApp(page, server, '#/runs')
  await page.getByTestId('run-row').getByRole('button', { name: 'Run 1' }).click()
  await expect(page.getByTestId('run-detail')).toBeVisible()
  const tryRow = page.getByTestId('try-row')
  await tryRow.getByTestId('try-test-row').click()
  await expect(tryRow.getByTestId('try-bar')).toHaveCount(3)
  // The test row's values fill the form, and its label is shown next to the prediction.
  await expect(tryRow.getByTestId('try-value-petal_length')).not.toHaveValue('')
  await expect(tryRow.getByTestId('try-true')).toHaveText(/setosa|versicolor|virginica/)
  // Typed values: a small-petalled flower is a setosa; a word where a number belongs is refused by name.
  for (const [name, v] of Object.entries({
    sepal_length: '5.0',
    sepal_width: '3.4',
    petal_length: '1.5',
    petal_width: '0.2',
  }))
    await tryRow.getByTestId(`try-value-${name}`).fill(v)
  await tryRow.getByTestId('try-row-predict').click()
  await expect(tryRow.getByTestId('try-predicted')).toHaveText('setosa')
  await expect(tryRow.getByTestId('try-true')).toHaveCount(0)
  await tryRow.scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'run-try-row')
  await tryRow.getByTestId('try-value-petal_width').fill('wide')
  await tryRow.getByTestId('try-row-predict').click()
  await expect(tryRow.getByTestId('try-error')).toHaveText('petal_width must be a number, not “wide”')

  await page.getByTestId('export-run-link').click()
  await page.getByTestId('export-start').click()
  await expect(page.getByTestId('export-result')).toContainText('Exported and verified', { timeout: 60_000 })
  await expect(page.getByTestId('export-check-tfjs')).toContainText('TF.js: verified')
  await expect(page.getByTestId('export-check-onnx')).toContainText('ONNX: verified')
  // In a browser the folder is on the server's disk: it downloads as a .zip that unpacks into one folder.
  const exportDir = await page.getByTestId('export-dir-result').innerText()
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()])
  const folder = basename(exportDir)
  expect(download.suggestedFilename()).toBe(`${folder}.zip`)
  const zip = join(sourceDir, 'export.zip')
  await download.saveAs(zip)
  const listed = execFileSync('unzip', ['-Z1', zip]).toString().trim().split('\n')
  expect(listed).toEqual(
    expect.arrayContaining([
      `${folder}/MODEL_CARD.md`,
      `${folder}/model.json`,
      `${folder}/model.onnx`,
      `${folder}/labels.json`,
    ]),
  )
  expect(
    execFileSync('unzip', ['-p', zip, `${folder}/MODEL_CARD.md`]).equals(
      readFileSync(join(exportDir, 'MODEL_CARD.md')),
    ),
  ).toBe(true)
  // Exporting again right away goes to a fresh folder.
  await expect(page.getByTestId('export-dir')).not.toHaveValue(await page.getByTestId('export-dir-result').innerText())
  await saveScreenshot(page, 'export-table')
})
