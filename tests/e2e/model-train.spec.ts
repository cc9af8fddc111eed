/**
 * The core loop on the digits, one behaviour per test: building a model by drag and drop, training it
 * (live curves, pause, resume, reattach after a reload, stop, Try it, a verified export), reading and
 * comparing runs, cross-validation, and label suggestions. The later tests set up their data and runs
 * through the API so each stands on its own.
 */
import { readdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { solidImage } from '../fixtures/image-corpus'
import { callApi, expect, openApp, saveScreenshot, test } from './support/fixtures'
import { digitsProject, digitsWithRun } from './support/digits-run'
import { ModelPage } from './support/model-page'
import type { ServerHandle } from './support/server'
import { referenceCnn } from '../../src/shared/model/reference-cnn'

/** The 10,000-digit sample, imported and open; its project id. */
async function digitsSample(server: ServerHandle): Promise<string> {
  const { project, import: started } = await callApi<{ project: { id: string }; import: { id: string } }>(
    server,
    'projects.createSample',
    { sample: 'digits' },
  )
  await callApi(server, 'projects.open', { id: project.id })
  await expect
    .poll(async () => (await callApi<{ status: string }>(server, 'imports.get', { importId: started.id })).status, {
      timeout: 90_000,
    })
    .toBe('completed')
  return project.id
}

test('build the tiny CNN by drag and drop on the digits sample, fix a broken stack, undo and redo, save it', async ({
  page,
  server,
}) => {
  test.setTimeout(180_000)
  await openApp(page, server)
  await page.getByTestId('new-sample-digits').click()
  await expect(page.getByTestId('import-summary')).toContainText('Imported 10,000 images', { timeout: 90_000 })

  await page.getByTestId('nav-model').click()
  const model = new ModelPage(page)
  await page.getByTestId('template-select').selectOption('blank')
  await expect(model.rows).toHaveCount(2)
  await expect(model.row(1)).toHaveAttribute('data-type', 'Dense')

  // Conv2D, MaxPooling2D, Conv2D, MaxPooling2D before the Flatten; Dense before the output.
  await model.dragFromPalette('Conv2D', 0)
  await expect(model.rows).toHaveCount(3)
  await model.dragFromPalette('MaxPooling2D', 1)
  await model.dragFromPalette('Conv2D', 2)
  await model.dragFromPalette('MaxPooling2D', 3)
  await model.dragFromPalette('Dense', 5)
  await expect(model.rows).toHaveCount(7)
  expect(await model.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')))).toEqual([
    'Conv2D',
    'MaxPooling2D',
    'Conv2D',
    'MaxPooling2D',
    'Flatten',
    'Dense',
    'Dense',
  ])
  await model.select(0)
  await model.setNumber('filters', 16)
  await model.select(2)
  await model.setNumber('filters', 32)
  await model.select(5)
  await model.setNumber('units', 64)
  // A value the layer refuses is refused at the field, with the reason.
  await model.setNumber('units', 0)
  await expect(page.getByTestId('setting-error-units')).toHaveText(
    'Dense: units must be a positive whole number. Received: units=0',
  )
  await model.setNumber('units', 64)

  // The shapes and parameter count tfjs itself computes for this model (checked in build-model.test.ts).
  await expect(page.getByTestId('layer-shape')).toHaveText([
    '(26, 26, 16)',
    '(13, 13, 16)',
    '(11, 11, 32)',
    '(5, 5, 32)',
    '(800)',
    '(64)',
    '(10)',
  ])
  await expect(page.getByTestId('total-params')).toHaveText('56,714')
  // The training-memory estimate follows the chosen batch size.
  const megabytes = async (): Promise<number> =>
    parseFloat((await page.getByTestId('training-memory').textContent()) ?? '')
  const at32 = await megabytes()
  await page.getByTestId('memory-batch').selectOption('256')
  await expect.poll(megabytes).toBeGreaterThan(at32)
  await page.getByTestId('memory-batch').selectOption('32')
  await expect.poll(megabytes).toBe(at32)
  await saveScreenshot(page, 'model-stacker')

  // Remove the Flatten: the Dense after it cannot follow, Train is disabled, one click fixes it.
  await model.row(4).getByTestId('remove-layer').click()
  await expect(page.getByTestId('layer-error')).toContainText(
    'Dense needs a flat input, but follows MaxPooling2D, whose output is (5, 5, 32)',
  )
  await expect(page.getByTestId('train-this-model')).toBeDisabled()
  await saveScreenshot(page, 'model-error')
  await page.getByTestId('quick-fix').click()
  await expect(page.getByTestId('layer-error')).toHaveCount(0)
  await expect(page.getByTestId('total-params')).toHaveText('56,714')

  // Undo brings the broken stack back; redo the fix. The buttons name the edit they undo or redo.
  await expect(page.getByTestId('stack-undo')).toHaveAttribute('title', 'Undo Insert Flatten (Ctrl+Z)')
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('Control+z')
  await expect(page.getByTestId('layer-error')).toHaveCount(1)
  await expect(page.getByTestId('stack-redo')).toHaveAttribute('title', 'Redo Insert Flatten (Ctrl+Shift+Z)')
  await expect(page.getByTestId('stack-undo')).toHaveAttribute('title', 'Undo Remove Flatten (Ctrl+Z)')
  await page.keyboard.press('Control+Shift+z')
  await expect(page.getByTestId('layer-error')).toHaveCount(0)

  // Save it, and duplicate it from the saved models.
  await page.getByTestId('model-name').fill('Tiny digits')
  await page.getByTestId('model-save').click()
  await expect(page.getByTestId('toast')).toContainText('Saved “Tiny digits”, version 1')
  await page.getByTestId('manage-saved').click()
  const saved = page.getByTestId('saved-models')
  await saved.getByRole('button', { name: 'Duplicate' }).click()
  await expect(saved).toContainText('Tiny digits copy')
  await saved.getByRole('button', { name: 'Close' }).click()

  await page.getByTestId('train-this-model').click()
  await expect(page.getByTestId('page-train')).toBeVisible()
})

test('train the tiny CNN: live curves, pause and resume; a second run reattaches after a reload and stops; Try it; a verified export', async ({
  page,
  server,
  dataDir,
}) => {
  test.setTimeout(420_000)
  const projectId = await digitsSample(server)
  await callApi(server, 'architectures.save', { projectId, name: 'Tiny digits', spec: referenceCnn })
  await openApp(page, server, '#/train')
  await page.getByTestId('train-model').selectOption({ label: 'Tiny digits v1' })
  // The augmentation preview draws training images as the model will see them.
  await page.getByLabel('Rotation (±°)').fill('20')
  await expect(page.getByTestId('augmentation-preview').locator('img')).toHaveCount(16)
  await page.getByLabel('Rotation (±°)').fill('0')
  await page.getByTestId('train-epochs').fill('2')
  await page.getByTestId('train-seed').fill('7')
  await page.getByTestId('train-start').click()
  const status = page.getByTestId('run-status')
  await expect(status).toHaveAttribute('data-status', 'running', { timeout: 60_000 })
  // 8,000 training digits × 2 epochs is long enough for one training thread per core (at most four).
  const threads = Math.min(availableParallelism(), 4)
  await expect(status).toContainText(threads > 1 ? `engine wasm (wasm, ${threads} threads)` : 'engine wasm (wasm)')
  const chart = page.getByTestId('chart-loss')
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(5)
  const before = Number(await chart.getAttribute('data-points'))
  await expect
    .poll(async () => Number(await chart.getAttribute('data-drawn')), { timeout: 30_000 })
    .toBeGreaterThan(before)
  await page.getByTestId('run-status').scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'train-running')

  await page.getByTestId('run-pause').click()
  await expect(status).toHaveAttribute('data-status', 'paused')
  await page.getByTestId('run-resume').click()
  await expect(status).toHaveAttribute('data-status', 'running')
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 120_000 })
  await expect(page.getByTestId('confusion-matrix')).toBeVisible()
  await expect(page.getByTestId('run-result')).toContainText('Test accuracy')
  // How responsive the page stays while a run streams is measured by `npm run bench:ui`, not asserted here:
  // a busy machine adds long tasks that are not the app's.
  await saveScreenshot(page, 'train-finished')

  // A second run, stopped part-way.
  await page.getByTestId('train-epochs').fill('5')
  await page.getByTestId('train-start').click()
  await expect(status).toHaveAttribute('data-status', 'running', { timeout: 60_000 })
  // Reloading the browser reattaches to the run in progress, curves included.
  await page.reload()
  await page.locator('html[data-app-state="ready"]').waitFor()
  await expect(status).toHaveAttribute('data-status', 'running')
  await expect(status).toContainText('Run 2')
  await expect
    .poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')), { timeout: 30_000 })
    .toBeGreaterThan(0)
  await page.getByTestId('run-stop').click()
  await expect(status).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 })
  await expect(status).toContainText('Run 2')

  // The two runs differ in one setting: Compare shows exactly that one, and both curves.
  await page.getByTestId('open-run').click()
  await expect(page.getByTestId('page-runs')).toBeVisible()
  await expect(page.getByTestId('run-row')).toHaveCount(2)
  await expect(page.getByTestId('run-detail')).toContainText('Run 2')
  // Open the finished run, whose curves and evaluation are complete.
  await page.getByTestId('run-row').filter({ hasText: 'Run 1' }).getByRole('button', { name: 'Run 1' }).click()
  await expect(page.getByTestId('evaluation')).toContainText('Accuracy')
  await expect
    .poll(async () => Number(await page.getByTestId('detail-loss').getAttribute('data-drawn')))
    .toBeGreaterThan(1)
  await saveScreenshot(page, 'run-detail')
  // Try it: a test image gets the model's class probabilities; a file that is not an image is refused by name.
  await page.getByTestId('try-test-image').click()
  await expect(page.getByTestId('try-bar')).toHaveCount(10)
  await expect(page.getByTestId('try-image')).toBeVisible()
  expect(await page.getByTestId('try-predicted').textContent()).toBe(await page.getByTestId('try-true').textContent())
  await page.getByTestId('try-it').scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'run-try-it')
  await page
    .getByTestId('try-file')
    .setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('hello, not an image') })
  await expect(page.getByTestId('try-error')).toHaveText('notes.png: not an image: the file contains text')
  // A readable file of another size and colour is resized as in training and shown from the file itself.
  await page
    .getByTestId('try-file')
    .setInputFiles({ name: 'square.png', mimeType: 'image/png', buffer: await solidImage('png', 3, 48) })
  await expect(page.getByTestId('try-error')).toHaveCount(0)
  await expect(page.getByTestId('try-image')).toHaveAttribute('src', /^blob:/)
  await expect(page.getByTestId('try-bar')).toHaveCount(10)
  await expect(page.getByTestId('try-true')).toHaveCount(0)

  // Export Run 1 in both formats: each is loaded by its own runtime in another process and must agree.
  await page.getByTestId('export-run-link').click()
  await expect(page.getByTestId('page-export')).toBeVisible()
  await expect(page.getByTestId('export-run').locator('option:checked')).toContainText('Run 1')
  // The suggested folder arrives from the server a moment after the page shows.
  const suggestedPrefix = join(dataDir, 'exports', 'run-1-').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  await expect(page.getByTestId('export-dir')).toHaveValue(new RegExp(`^${suggestedPrefix}`))
  // ModelBench's own data folder is refused by name, and nothing in it is touched.
  await page.getByTestId('export-dir').fill(dataDir)
  await page.getByTestId('export-start').click()
  await expect(page.getByTestId('export-error')).toHaveText(
    `${dataDir} is inside ModelBench's own data folder (${dataDir}); choose a folder of your own, or leave the folder empty for ModelBench's exports folder`,
  )
  const exportDir = join(dataDir, 'exports', 'my-digits')
  await page.getByTestId('export-dir').fill(exportDir)
  await page.getByTestId('export-start').click()
  await expect(page.getByTestId('export-result')).toContainText('Exported and verified', { timeout: 60_000 })
  for (const format of ['tfjs', 'onnx']) {
    await expect(page.getByTestId(`export-check-${format}`)).toContainText(': verified')
    await expect(page.getByTestId(`export-check-${format}`)).toContainText(
      "the top class matched ModelBench's 100 of 100 times",
    )
    expect(Number(await page.getByTestId(`export-diff-${format}`).textContent())).toBeLessThan(1e-4)
  }
  expect(readdirSync(exportDir).sort()).toEqual([
    'MODEL_CARD.md',
    'group1-shard1of1.bin',
    'labels.json',
    'metadata.json',
    'model.json',
    'model.onnx',
    'preprocessing.json',
  ])
  await expect(page.getByTestId('export-history').locator('tbody tr')).toHaveCount(1)
  await saveScreenshot(page, 'export-result')
})

test('runs: relabel from the error gallery, tag and filter, compare two runs that differ in one setting', async ({
  page,
  server,
  sourceDir,
}) => {
  test.setTimeout(180_000)
  const projectId = await digitsProject(server, sourceDir, 40)
  const spec = {
    inputShape: [28, 28, 1],
    layers: [
      { type: 'Flatten', config: {} },
      { type: 'Dense', config: { units: 10, activation: 'softmax' } },
    ],
  }
  for (const epochs of [1, 2]) {
    const run = await callApi<{ id: string }>(server, 'runs.start', {
      projectId,
      spec,
      seed: 1,
      hyperparameters: { epochs },
    })
    await expect
      .poll(async () => (await callApi<{ status: string }>(server, 'runs.get', { runId: run.id })).status, {
        timeout: 60_000,
      })
      .toBe('completed')
  }
  await openApp(page, server, '#/runs')
  await page.getByTestId('run-row').filter({ hasText: 'Run 1' }).getByRole('button', { name: 'Run 1' }).click()
  await expect(page.getByTestId('evaluation')).toContainText('Accuracy')
  // Open a confusion-matrix cell of mistakes and relabel an example from the error gallery.
  const cellId = await page.evaluate(() => {
    const cells = [...document.querySelectorAll<HTMLElement>('[data-testid^="cell-"]')]
    const off = cells.filter((c) => {
      const [, i, j] = c.dataset.testid!.split('-')
      return i !== j && Number(c.textContent) > 0
    })
    off.sort((a, b) => Number(b.textContent) - Number(a.textContent))
    return off[0]?.dataset.testid ?? null
  })
  expect(cellId).not.toBeNull()
  await page.getByTestId(cellId!).click()
  const gallery = page.getByTestId('error-gallery')
  await expect(gallery).toContainText('predicted as')
  const first = gallery.getByTestId('example').first()
  await first.getByRole('button', { name: /^It is / }).click()
  await expect(first.getByTestId('example-state')).toContainText('relabeled as')
  await saveScreenshot(page, 'error-gallery')
  // Tag Run 1, then filter the table by tag and by architecture.
  await page.getByTestId('run-tags').fill('baseline, digits')
  await page.getByTestId('run-tags').blur()
  await page.getByTestId('runs-tag-filter').selectOption('baseline')
  await expect(page.getByTestId('run-row')).toHaveCount(1)
  await expect(page.getByTestId('run-row')).toContainText('Run 1')
  await page.getByTestId('runs-tag-filter').selectOption('')
  await page.getByTestId('runs-architecture-filter').selectOption({ index: 1 })
  await expect(page.getByTestId('run-row')).toHaveCount(2)
  await page.getByTestId('runs-architecture-filter').selectOption('')
  for (const row of await page.getByTestId('run-row').all()) await row.getByRole('checkbox').check()
  await saveScreenshot(page, 'runs-table')
  await page.getByTestId('compare-selected').click()
  await expect(page.getByTestId('diff-row')).toHaveCount(1)
  await expect(page.getByTestId('diff-row')).toContainText('epochs')
  await page.getByTestId('compare-metric').selectOption('batch/loss')
  await expect
    .poll(async () => Number(await page.getByTestId('compare-chart').getAttribute('data-drawn')))
    .toBeGreaterThan(10)
  await expect(page.getByTestId('compare-confusions')).toBeVisible()
  const download = page.waitForEvent('download')
  await page.getByTestId('compare-png').click()
  expect((await download).suggestedFilename()).toBe('modelbench-comparison.png')
  await saveScreenshot(page, 'runs-compare')
})

test('a 3-fold cross-validation from the Train page, read as mean ± std', async ({ page, server, sourceDir }) => {
  test.setTimeout(240_000)
  await digitsProject(server, sourceDir, 20)
  await openApp(page, server, '#/train')
  const status = page.getByTestId('run-status')
  // A 3-fold cross-validation, read as mean ± std.
  await page.getByTestId('train-epochs').fill('1')
  await page.getByTestId('train-folds').selectOption('3')
  await page.getByTestId('train-start').click()
  await expect(page.getByTestId('fold-progress')).toContainText('of 3', { timeout: 60_000 })
  await saveScreenshot(page, 'train-cross-validation')
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 180_000 })
  await expect(status).toContainText(/test accuracy [\d.]+ % ± [\d.]+ over 3 folds/)
  await page.getByTestId('open-run').click()
  await expect(page.getByTestId('cross-validation')).toContainText('3 of 3 folds done')
  await expect(page.getByTestId('cv-mean-testAccuracy')).toHaveText(/^[\d.]+ ± [\d.]+ %$/)
  await expect
    .poll(async () => Number(await page.getByTestId('cv-chart').getAttribute('data-drawn')))
    .toBeGreaterThanOrEqual(3)
  await saveScreenshot(page, 'runs-cross-validation')
})

test('suggest labels: clear three labels, let a run suggest them, accept with Enter', async ({
  page,
  server,
  sourceDir,
}) => {
  await digitsWithRun(server, sourceDir, 20)
  await openApp(page, server, '#/data')
  // Suggest labels: clear three labels, let Run 1 suggest them, accept with Enter.
  const grid = page.getByTestId('sample-grid')
  await grid.focus()
  for (let i = 0; i < 3; i++) await page.keyboard.press('Backspace')
  await expect(page.getByTestId('filter-unlabeled')).toContainText('3')
  await page.getByTestId('suggest-labels').click()
  const runOption = await page
    .getByTestId('suggest-run')
    .locator('option', { hasText: 'Run 1 ·' })
    .getAttribute('value')
  await page.getByTestId('suggest-run').selectOption(runOption!)
  await expect(page.getByTestId('suggestion')).toHaveCount(3)
  await saveScreenshot(page, 'data-suggestions')
  for (let i = 0; i < 3; i++) await page.keyboard.press('Enter')
  await expect(page.getByTestId('suggestions')).toContainText('3 accepted')
  await expect(page.getByTestId('filter-unlabeled')).toContainText('0')
})
