/**
 * Issue 15, the first ten minutes of a new user: what they pick or drop goes where it belongs, and what
 * they set on the Train page stays set.
 */
import type { Page } from '@playwright/test'
import { solidImage } from '../fixtures/image-corpus'
import { DataPage } from './support/data-page'
import { callApi, expect, openApp, saveScreenshot, test } from './support/fixtures'
import { ProjectsPage } from './support/projects-page'

const iris = [
  'sepal_length,sepal_width,species',
  ...Array.from(
    { length: 30 },
    (_, i) =>
      `${(4.5 + (i % 10) / 5).toFixed(1)},${(3 + (i % 4) / 4).toFixed(2)},${['setosa', 'versicolor', 'virginica'][i % 3]}`,
  ),
].join('\n')

/** Drops files on the Data page the way a browser delivers them (files on a DataTransfer). */
async function drop(page: Page, files: Array<{ name: string; type: string; data: string | Buffer }>): Promise<void> {
  const transfer = await page.evaluateHandle(
    (list) => {
      const dt = new DataTransfer()
      for (const f of list)
        dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }))
      return dt
    },
    files.map((f) => ({ name: f.name, type: f.type, base64: Buffer.from(f.data).toString('base64') })),
  )
  await page.getByTestId('page-data').dispatchEvent('drop', { dataTransfer: transfer })
}

test('a CSV picked with "Choose files…" in an empty project imports as a table, under its own name', async ({
  page,
  server,
}) => {
  await openApp(page, server)
  await new ProjectsPage(page).createAndOpen('Flowers')
  await page
    .getByTestId('import-files-input')
    .setInputFiles({ name: 'iris.csv', mimeType: 'text/csv', buffer: Buffer.from(iris) })
  const preview = page.getByTestId('table-preview')
  await expect(preview).toBeVisible()
  await expect(preview.getByRole('heading')).toHaveText('Import iris.csv')
  await page.getByTestId('target-column').selectOption('species')
  await page.getByTestId('table-import').click()
  const data = new DataPage(page)
  await expect(data.summary).toContainText('Imported 30 rows')
  await expect(page.getByTestId('page-data')).toContainText('30 rows')
  await saveScreenshot(page, 'first-model-picked-csv')
})

test('a dropped CSV goes to the table preview; a mixed drop says what it did with each file; an image project refuses a table', async ({
  page,
  server,
}) => {
  await openApp(page, server)
  await new ProjectsPage(page).createAndOpen('Dropped')
  await drop(page, [
    { name: 'iris.csv', type: 'text/csv', data: iris },
    { name: 'photo.png', type: 'image/png', data: await solidImage('png', 1, 32) },
  ])
  await expect(page.getByTestId('table-preview')).toBeVisible()
  await expect(page.getByTestId('toast')).toContainText(
    'photo.png not imported: a project holds a table or images, not both',
  )
  // Escape closes the preview (it is modal, like every dialog), and the same drop opens it again.
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('table-preview')).toHaveCount(0)
  await drop(page, [{ name: 'iris.csv', type: 'text/csv', data: iris }])
  await expect(page.getByTestId('table-preview')).toBeVisible()
  await page.getByTestId('target-column').selectOption('species')
  await page.getByTestId('table-import').click()
  await expect(new DataPage(page).summary).toContainText('Imported 30 rows')

  // An image project takes images from a drop, and says why it leaves the table out.
  await new ProjectsPage(page).goto()
  await new ProjectsPage(page).createAndOpen('Photos')
  const data = new DataPage(page)
  await drop(page, [{ name: 'a.png', type: 'image/png', data: await solidImage('png', 2, 32) }])
  await expect(data.summary).toHaveText(/^Imported 1 image(?!s)/)
  await drop(page, [
    { name: 'b.png', type: 'image/png', data: await solidImage('png', 3, 32) },
    { name: 'notes.csv', type: 'text/csv', data: iris },
  ])
  await expect(page.getByTestId('toast')).toContainText(
    'notes.csv not imported: a project holds images or a table, not both',
  )
  await expect(page.getByTestId('page-data')).toContainText('2 images')
  await drop(page, [{ name: 'iris.csv', type: 'text/csv', data: iris }])
  await expect(page.getByTestId('toast')).toContainText(
    'iris.csv: this is an image project, so it takes images, not tables',
  )
  await expect(page.getByTestId('page-data')).toContainText('2 images')
  await saveScreenshot(page, 'first-model-drop-refused')
})

test('a fresh start trains without visiting the Model page, and the Train settings survive leaving the page and a reload', async ({
  page,
  server,
}) => {
  await openApp(page, server)
  await page.getByTestId('new-sample-iris').click()
  await expect(page.getByTestId('import-summary')).toContainText('Imported 149 rows', { timeout: 30_000 })
  await page.getByTestId('nav-train').click()
  // The model the data suggests is there, said so, with the way to change it.
  await expect(page.getByTestId('train-model').locator('option:checked')).toHaveText(/^Suggested for this data: /)
  await expect(page.getByTestId('train-model-summary')).toContainText('See or change it on the Model page')

  await page.getByTestId('train-epochs').fill('3')
  await page.getByTestId('train-lr').fill('0.0057')
  await page.getByTestId('train-seed').fill('11')
  await page.getByTestId('nav-data').click()
  await page.getByTestId('nav-train').click()
  await expect(page.getByTestId('train-epochs')).toHaveValue('3')
  await expect(page.getByTestId('train-lr')).toHaveValue('0.0057')
  await expect(page.getByTestId('train-seed')).toHaveValue('11')
  // Kept by the core, not the tab: a reload (or a restart) gives them back.
  await page.waitForTimeout(500) // the draft is saved 300 ms after the last change
  await page.reload()
  await page.locator('html[data-app-state="ready"]').waitFor()
  await expect(page.getByTestId('train-epochs')).toHaveValue('3')
  await expect(page.getByTestId('train-lr')).toHaveValue('0.0057')

  await page.getByTestId('train-start').click()
  const status = page.getByTestId('run-status')
  await expect(status).toBeInViewport()
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 60_000 })
  await expect(page.getByTestId('run-result')).toBeVisible()
  await saveScreenshot(page, 'first-model-fresh-start')

  // The mistakes of a table run show the rows' values, not broken pictures.
  await page.getByText('See this run in Runs →').click()
  const examples = page.getByTestId('example')
  await expect(examples.first()).toBeVisible()
  await expect(examples.first().getByTestId('example-values')).toContainText('sepal_length')
  await expect(examples.locator('img')).toHaveCount(0)
  await examples.first().scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'first-model-table-mistakes')

  // Export offers the best completed run and says why it chose it.
  await page.getByTestId('nav-export').click()
  await expect(page.getByTestId('export-preselected')).toHaveText('Chosen for you: Run 1, the only completed run.')
})

test('settings, metrics, numbers and versions read in plain words; a tie is not marked better (item 9); the iris sample opens without a warning (item 11)', async ({
  page,
  server,
}) => {
  const { project, import: started } = await callApi<{ project: { id: string }; import: { id: string } }>(
    server,
    'projects.createSample',
    { sample: 'iris' },
  )
  await callApi(server, 'projects.open', { id: project.id })
  await expect
    .poll(async () => (await callApi<{ status: string }>(server, 'imports.get', { importId: started.id })).status)
    .toBe('completed')
  const spec = {
    inputShape: [4],
    layers: [
      { type: 'Dense', config: { units: 8 } },
      { type: 'Dense', config: { units: 3, activation: 'softmax' } },
    ],
  }
  // Two runs with the same settings, seed and data: exact re-runs, so their results tie exactly.
  for (let i = 0; i < 2; i++) {
    const run = await callApi<{ id: string }>(server, 'runs.start', {
      projectId: project.id,
      spec,
      seed: 5,
      hyperparameters: { epochs: 2, batchSize: 16, learningRate: 0.005758735261934169 },
    })
    await expect
      .poll(async () => (await callApi<{ status: string }>(server, 'runs.get', { runId: run.id })).status, {
        timeout: 60_000,
      })
      .toBe('completed')
  }
  await openApp(page, server, '#/data')
  await expect(page.getByTestId('import-summary')).toContainText('Imported 149 rows')
  await expect(page.getByTestId('import-summary')).not.toContainText('duplicate')
  await expect(page.getByTestId('versions')).toContainText('Data version 1')

  await page.getByTestId('nav-runs').click()
  await expect(page.getByRole('columnheader', { name: 'Validation accuracy' })).toBeVisible()
  await expect(page.getByTestId('run-row').first()).toContainText('data version 1')
  await expect(page.getByTestId('run-row').filter({ hasText: 'Run 1' })).toContainText('learning rate 0.00576')
  for (const row of await page.getByTestId('run-row').all()) await row.getByRole('checkbox').check()
  await page.getByTestId('compare-selected').click()
  await expect(page.getByTestId('compare-diff')).toContainText('The runs have the same settings.')
  await page.getByTestId('compare-show-all').check()
  const lr = page.getByTestId('diff-row').filter({ hasText: /^learning rate/ })
  await expect(lr.locator('td')).toHaveText(['learning rate', '0.00576', '0.00576'])
  await expect(
    page
      .getByTestId('diff-row')
      .filter({ has: page.locator('td:first-child', { hasText: /^data$/ }) })
      .locator('td'),
  ).toHaveText(['data', 'data version 1', 'data version 1'])
  await expect(page.getByTestId('diff-row').filter({ hasText: /^layer 1 Dense · units/ })).toHaveCount(1)
  await expect(page.getByTestId('compare-metric').locator('option:checked')).toHaveText('validation accuracy')
  await expect(page.getByTestId('compare')).not.toContainText('val_accuracy')
  await expect(page.getByTestId('compare')).not.toContainText('learningRate')
  // The same test accuracy and F1 in both: neither is marked best.
  await expect(page.getByTestId('compare').locator('.metric-row td.best')).toHaveCount(0)
  await saveScreenshot(page, 'runs-compare-words')

  await page.getByTestId('compare').getByRole('button', { name: 'Close' }).click()
  await page.getByTestId('run-row').filter({ hasText: 'Run 1' }).getByRole('button', { name: 'Run 1' }).click()
  await expect(page.getByTestId('receipt-version')).toHaveText('data version 1')
})
