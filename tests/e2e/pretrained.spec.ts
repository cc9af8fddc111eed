import { join } from 'node:path'
import { photoLikeImage, writePhotoLikeDataset } from '../fixtures/photo-like'
import { DataPage } from './support/data-page'
import { expect, openApp, saveScreenshot, test } from './support/fixtures'
import { ModelPage } from './support/model-page'
import { ProjectsPage } from './support/projects-page'

test('a photo project from a folder: the pretrained template is suggested, trains in seconds, tries a new image and exports verified', async ({
  page,
  server,
  sourceDir,
}) => {
  test.setTimeout(300_000)
  // 30 + 30 photos to train on, 20 + 20 to test: ring or star on a cluttered background.
  const root = await writePhotoLikeDataset(join(sourceDir, 'shapes'), { train: 30, test: 20, seed: 9 })
  await openApp(page, server)
  await new ProjectsPage(page).createAndOpen('Shapes')
  const data = new DataPage(page)
  await data.importFolder(root)
  await expect(data.summary).toContainText('Imported 100 images')

  await page.getByTestId('nav-model').click()
  const model = new ModelPage(page)
  // Colour photos: the model starts from the pretrained backbone, and the template list says it is suggested.
  await expect(model.rows).toHaveCount(3)
  expect(await model.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')))).toEqual([
    'Pretrained',
    'Dropout',
    'Dense',
  ])
  await expect(
    page
      .getByTestId('template-select')
      .locator('option', { hasText: 'Pretrained MobileNetV2 + classifier (suggested for this data)' }),
  ).toHaveCount(1)
  await expect(page.getByTestId('layer-shape')).toHaveText(['(1280)', '(1280)', '(1)'])
  await expect(page.getByTestId('total-params')).toHaveText('2,259,265')
  await model.select(0)
  await expect(page.getByTestId('backbone-about')).toContainText('MIT (nsfwjs, © 2019 Infinite Red, Inc.)')
  await expect(page.getByTestId('backbone-about')).toContainText('frozen')
  await saveScreenshot(page, 'model-pretrained')

  await page.getByTestId('train-this-model').click()
  await expect(page.getByTestId('page-train')).toBeVisible()
  await expect(page.getByTestId('backbone-note')).toContainText('features for the 60 training images are computed once')
  await expect(page.getByTestId('augmentation-off')).toBeVisible()
  await page.getByTestId('backbone-settings').click()
  // It sets the settings and starts nothing.
  await expect(page.getByTestId('run-status')).toHaveCount(0)
  await expect(page.getByTestId('train-epochs')).toHaveValue('20')
  await expect(page.getByTestId('train-lr')).toHaveValue('0.003')
  await page.getByTestId('train-seed').fill('4')
  await saveScreenshot(page, 'train-pretrained')
  await page.getByTestId('train-start').click()
  const status = page.getByTestId('run-status')
  await expect(status).toContainText('seed 4')
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 180_000 })
  await expect(status).toContainText('backbone MobileNetV2 features from nsfwjs@4.4.0')
  await expect(page.getByTestId('run-result')).toContainText('Test accuracy')
  const accuracy = Number(
    /Test accuracy ([\d.]+)/.exec((await page.getByTestId('run-result').textContent()) ?? '')?.[1],
  )
  expect(accuracy).toBeGreaterThanOrEqual(80)
  await page.getByTestId('run-result').scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'train-pretrained-done')

  // Try it on an image the model has never seen.
  await page.getByTestId('open-run').click()
  await expect(page.getByTestId('run-detail')).toBeVisible()
  await page
    .getByTestId('try-file')
    .setInputFiles({ name: 'new-star.jpg', mimeType: 'image/jpeg', buffer: await photoLikeImage('star', 777) })
  // A one-off process loads the backbone and predicts: seconds when idle, more on a busy machine.
  await expect(page.getByTestId('try-bar')).toHaveCount(2, { timeout: 60_000 })
  await expect(page.getByTestId('try-predicted')).toHaveText(/ring|star/)
  await page.getByTestId('try-it').scrollIntoViewIfNeeded()
  await saveScreenshot(page, 'run-try-pretrained')

  await page.getByTestId('export-run-link').click()
  await page.getByTestId('export-start').click()
  await expect(page.getByTestId('export-result')).toContainText('Exported and verified', { timeout: 180_000 })
  await expect(page.getByTestId('export-check-tfjs')).toContainText('TF.js: verified')
  await expect(page.getByTestId('export-check-onnx')).toContainText('ONNX: verified')
  await saveScreenshot(page, 'export-pretrained')
})
