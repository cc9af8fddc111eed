/**
 * Issue 15 on an image project (items 4, 5 and 6): Start training is on screen at 1280×800 and the
 * progress is in view once it starts; templates fit themselves to the data or say why they cannot, and
 * ask before replacing unsaved work; Try it shows what the model sees and warns about an image unlike
 * the training images.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import sharp from 'sharp'
import { writeDigitsFolder } from '../../src/main/core/datasets/sample-data'
import { DataPage } from './support/data-page'
import { callApi, expect, openApp, saveScreenshot, test } from './support/fixtures'
import { ModelPage } from './support/model-page'
import { ProjectsPage } from './support/projects-page'

test.use({ viewport: { width: 1280, height: 800 } })

/** Whether an element is inside the viewport and is what a click at its centre would hit. */
async function onScreen(page: Page, target: Locator): Promise<boolean> {
  const box = await target.boundingBox()
  const view = page.viewportSize()!
  if (!box || box.y < 0 || box.y + box.height > view.height || box.x < 0 || box.x + box.width > view.width) return false
  return target.evaluate(
    (el, [x, y]) => el.contains(document.elementFromPoint(x!, y!)),
    [box.x + box.width / 2, box.y + box.height / 2],
  )
}

async function digitsProject(page: Page, server: Parameters<typeof openApp>[1], sourceDir: string): Promise<void> {
  await writeDigitsFolder(sourceDir, 20)
  await openApp(page, server)
  await new ProjectsPage(page).createAndOpen('Digits')
  await new DataPage(page).importFolder(sourceDir)
  await expect(page.getByTestId('import-summary')).toContainText('Imported 200 images', { timeout: 60_000 })
}

test('templates fit the data or say why not, and ask before replacing unsaved work (item 5)', async ({
  page,
  server,
  sourceDir,
}) => {
  await digitsProject(page, server, sourceDir)
  await page.getByTestId('nav-model').click()
  const model = new ModelPage(page)
  const select = page.getByTestId('template-select')
  await expect(select.locator('option[value="mlp"]')).toBeDisabled()
  await expect(select.locator('option[value="mlp"]')).toHaveText('MLP for tables — for tables, not images')
  await expect(select.locator('option[value="small-cnn"]')).toBeDisabled()
  await expect(select.locator('option[value="small-cnn"]')).toHaveText('Small CNN — does not fit 28×28×1 images')
  await expect(select.locator('option[value="small-cnn"]')).toHaveAttribute(
    'title',
    /^does not fit 28×28×1 images: Conv2D: a 3×3 kernel does not fit/,
  )
  await expect(select.locator('option[value="tiny-cnn"]')).toHaveText('Tiny CNN for digits (suggested for this data)')

  // The suggested template is as built, so switching asks nothing; an edited stack is work worth asking about.
  await select.selectOption('blank')
  await expect(page.getByTestId('confirm-dialog')).toHaveCount(0)
  await expect(model.rows).toHaveCount(2)
  await model.dragFromPalette('Dense', 1)
  await expect(model.rows).toHaveCount(3)
  await select.selectOption('tiny-cnn')
  const dialog = page.getByTestId('confirm-dialog')
  await expect(dialog).toContainText('Replace your model with “Tiny CNN for digits”?')
  await expect(dialog).toContainText('The 3 layers you have now are not saved as a model.')
  await saveScreenshot(page, 'model-template-confirm')
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(model.rows).toHaveCount(3)
  await select.selectOption('tiny-cnn')
  await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Replace' }).click()
  await expect(model.rows).toHaveCount(7)
  await expect(page.getByTestId('layer-shape').first()).toHaveText('(26, 26, 16)')
  await page.getByTestId('stack-undo').click()
  await expect(model.rows).toHaveCount(3)
})

test('a model whose input cannot take the data is refused on the Model and Train pages, with the fix (item 5)', async ({
  page,
  server,
  sourceDir,
}) => {
  await digitsProject(page, server, sourceDir)
  // The kept model takes rows of 4 values, as a table project's MLP would (a draft from before the data changed).
  const [project] = await callApi<Array<{ id: string }>>(server, 'projects.list', {})
  const mlp = {
    inputShape: [4],
    layers: [
      { type: 'Dense', config: { units: 8 } },
      { type: 'Dense', config: { units: 10, activation: 'softmax' } },
    ],
  }
  await callApi(server, 'projects.saveDrafts', { id: project!.id, model: { name: 'Rows', spec: mlp } })
  await page.reload()
  await page.locator('html[data-app-state="ready"]').waitFor()
  await page.getByTestId('nav-model').click()
  await expect(page.getByTestId('input-mismatch')).toContainText(
    'This model takes rows of 4 values, but the data is 28×28×1 images',
  )
  await expect(page.getByTestId('train-this-model')).toBeDisabled()
  await page.getByTestId('nav-train').click()
  await expect(page.getByTestId('train-model-problem')).toContainText(
    'This model takes rows of 4 values, but the data is 28×28×1 images',
  )
  await expect(page.getByTestId('train-start')).toBeDisabled()
  await page.getByTestId('nav-model').click()
  await page.getByTestId('fix-input').click()
  await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Replace' }).click()
  await expect(page.getByTestId('input-mismatch')).toHaveCount(0)
  await expect(page.getByTestId('train-this-model')).toBeEnabled()
})

test('Start training is on screen at 1280×800, the progress is in view after it starts, and Try it shows what the model sees and warns about an unlike image (items 4, 6)', async ({
  page,
  server,
  sourceDir,
}) => {
  test.setTimeout(240_000)
  await digitsProject(page, server, sourceDir)
  await page.getByTestId('nav-train').click()
  const start = page.getByTestId('train-start')
  await expect(start).toBeEnabled()
  expect(await onScreen(page, start)).toBe(true)
  await saveScreenshot(page, 'train-image-project-1280')
  await page.getByTestId('train-epochs').fill('3')
  await start.click()
  await expect(page.getByTestId('run-progress')).toBeVisible()
  expect(await onScreen(page, page.getByTestId('run-status'))).toBe(true)
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 180_000 })

  await page.getByTestId('open-run').click()
  await page.getByTestId('try-test-image').click()
  await expect(page.getByTestId('try-seen')).toContainText(
    'What the model sees: 28×28 grey pixels, pixel values ÷ 255, so 0 to 1',
  )
  await expect(page.getByTestId('try-unusual')).toHaveCount(0)
  // A black digit on white paper, as a user would draw it: the model's answer comes with a warning.
  const seven = join(sourceDir, '7', readdirSync(join(sourceDir, '7'))[0]!)
  const onPaper = await sharp(readFileSync(seven)).negate().resize(112, 112).png().toBuffer()
  await page
    .getByTestId('try-file')
    .setInputFiles({ name: 'seven-on-paper.png', mimeType: 'image/png', buffer: onPaper })
  await expect(page.getByTestId('try-unusual')).toContainText(
    'This image looks unlike the images the model trained on: it is much brighter than the training images',
  )
  await expect(page.getByTestId('try-seen')).toContainText('28×28 grey pixels')
  await page.getByTestId('try-it').scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'try-it-unusual')
})
