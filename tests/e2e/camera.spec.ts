/**
 * Issue 15, item 15: "Capture from camera" in the labeler, against Chromium's fake camera. A burst held with
 * the pointer and one held with Space go into their classes through the import (hashed, deduplicated,
 * reported); captured frames are never dropped without asking; a refused camera says what to do.
 */
import type { Page } from '@playwright/test'
import type { DatasetSummary, Project } from '../../src/shared/contract'
import { DataPage } from './support/data-page'
import { callApi, expect, openApp, saveScreenshot, test } from './support/fixtures'
import { ProjectsPage } from './support/projects-page'

const frames = (page: Page): Promise<number> => page.getByTestId('camera-frames').locator('li').count()

/** Releases a held burst: recording stops, and the frames still being encoded arrive (Add waits for them). */
async function released(page: Page): Promise<number> {
  await expect(page.getByTestId('camera-recording')).toHaveCount(0)
  await expect(page.getByTestId('camera-count')).not.toContainText('finishing')
  return frames(page)
}

async function openCamera(page: Page): Promise<void> {
  await page.getByTestId('camera-open').click()
  await expect(page.getByTestId('camera-dialog')).toBeVisible()
  // The live preview plays the camera.
  await expect
    .poll(() => page.getByTestId('camera-video').evaluate((v: HTMLVideoElement) => v.videoWidth))
    .toBeGreaterThan(0)
  await expect(page.getByTestId('camera-hold')).toBeEnabled()
}

test('hold to record a burst into a new class, another with Space into a second; they import like files, into their classes', async ({
  page,
  server,
}) => {
  await openApp(page, server)
  await new ProjectsPage(page).createAndOpen('Gestures')
  const projectId = (await callApi<Project[]>(server, 'projects.list', {})).find((p) => p.name === 'Gestures')!.id
  await openCamera(page)
  await page.getByTestId('camera-new-class').fill('Thumbs up')
  await page.getByTestId('camera-interval').selectOption('100')

  // Held with the pointer: frames come while it is down, and stop when it is released.
  const hold = page.getByTestId('camera-hold')
  const box = (await hold.boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.down()
  await expect(page.getByTestId('camera-recording')).toBeVisible()
  await expect.poll(() => frames(page)).toBeGreaterThanOrEqual(6)
  await page.mouse.up()
  const taken = await released(page)
  await expect(page.getByTestId('camera-count')).toHaveText(`${taken} frames`)
  await saveScreenshot(page, 'camera-capture')
  // One frame removed before adding.
  await page.getByRole('button', { name: 'Remove frame 1', exact: true }).click()
  await expect(page.getByTestId('camera-frames').locator('li')).toHaveCount(taken - 1)
  // Released means stopped: no frame arrives after the button is let go.
  await page.waitForTimeout(400)
  expect(await frames(page)).toBe(taken - 1)

  await expect(page.getByTestId('camera-add')).toHaveText(`Add ${taken - 1} images to “Thumbs up”`)
  await page.getByTestId('camera-add').click()
  await expect(page.getByTestId('camera-dialog')).toHaveCount(0)
  await expect(page.getByTestId('toast')).toContainText(`Importing ${taken - 1} camera images into “Thumbs up”`)
  const data = new DataPage(page)
  await expect(data.summary).toContainText('Imported')
  let dataset = (await callApi<DatasetSummary>(server, 'datasets.get', { projectId }))!
  expect(dataset.kind).toBe('image')
  expect(dataset.latestImport).toMatchObject({ status: 'completed', source: 'Camera', skipped: 0 })
  // Every frame went through the import: stored once by content, the rest reported as duplicates.
  expect(dataset.latestImport!.imported + dataset.latestImport!.duplicates).toBe(taken - 1)
  expect(dataset.latestImport!.imported).toBeGreaterThan(0)
  expect(dataset.classes.map((c) => [c.name, c.count])).toEqual([['Thumbs up', dataset.latestImport!.imported]])
  await expect(data.classCount('Thumbs up')).toHaveText(String(dataset.latestImport!.imported))
  // The frames are real pictures in the grid.
  await expect
    .poll(() =>
      data
        .cell(0)
        .locator('img')
        .evaluate((img: HTMLImageElement) => img.naturalWidth),
    )
    .toBeGreaterThan(0)

  // Held with Space, into a second class chosen from the list.
  await openCamera(page)
  await page.getByTestId('camera-class').selectOption({ label: 'New class…' })
  await page.getByTestId('camera-new-class').fill('Thumbs down')
  await page.getByTestId('camera-hold').focus()
  await page.keyboard.down('Space')
  await expect(page.getByTestId('camera-recording')).toBeVisible()
  await expect.poll(() => frames(page)).toBeGreaterThanOrEqual(3)
  await page.keyboard.up('Space')
  const second = await released(page)
  await page.getByTestId('camera-add').click()
  await expect(page.getByTestId('camera-dialog')).toHaveCount(0)
  await expect(data.classes).toHaveCount(2)
  await expect
    .poll(async () => (await callApi<DatasetSummary>(server, 'datasets.get', { projectId }))!.latestImport?.status)
    .toBe('completed')
  dataset = (await callApi<DatasetSummary>(server, 'datasets.get', { projectId }))!
  const down = dataset.classes.find((c) => c.name === 'Thumbs down')!
  expect(down.count + dataset.latestImport!.duplicates).toBe(second)
  await expect(data.classCount('Thumbs down')).toHaveText(String(down.count))
  await saveScreenshot(page, 'camera-imported')

  // A third burst into an existing class, picked from the list, joins it.
  await openCamera(page)
  await page.getByTestId('camera-class').selectOption('Thumbs up')
  await page.getByTestId('camera-hold').focus()
  await page.keyboard.down('Space')
  await expect.poll(() => frames(page)).toBeGreaterThanOrEqual(2)
  await page.keyboard.up('Space')
  const third = await released(page)
  await page.getByTestId('camera-add').click()
  await expect(page.getByTestId('camera-dialog')).toHaveCount(0)
  await expect
    .poll(async () => (await callApi<DatasetSummary>(server, 'datasets.get', { projectId }))!.latestImport?.status)
    .toBe('completed')
  dataset = (await callApi<DatasetSummary>(server, 'datasets.get', { projectId }))!
  expect(dataset.classes.map((c) => c.name)).toEqual(['Thumbs up', 'Thumbs down'])
  expect(dataset.latestImport!.imported + dataset.latestImport!.duplicates).toBe(third)
})

test('captured frames are not thrown away without asking, and a refused camera says what to do and can be retried', async ({
  page,
  server,
}) => {
  // The first request for the camera is refused, as when the user clicks "Block"; the next one goes through.
  await page.addInitScript(() => {
    const media = navigator.mediaDevices
    const real = media.getUserMedia.bind(media)
    let refused = false
    media.getUserMedia = (constraints) => {
      if (refused) return real(constraints)
      refused = true
      return Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
    }
  })
  await openApp(page, server)
  await new ProjectsPage(page).createAndOpen('Blocked')
  await page.getByTestId('camera-open').click()
  await expect(page.getByTestId('camera-problem')).toContainText(
    'Camera access was refused. Allow the camera for ModelBench',
  )
  await expect(page.getByTestId('camera-hold')).toBeDisabled()
  await saveScreenshot(page, 'camera-refused')
  await page.getByTestId('camera-retry').click()
  await expect(page.getByTestId('camera-problem')).toHaveCount(0)
  await expect
    .poll(() => page.getByTestId('camera-video').evaluate((v: HTMLVideoElement) => v.videoWidth))
    .toBeGreaterThan(0)

  await page.getByTestId('camera-new-class').fill('Mug')
  await page.getByTestId('camera-hold').focus()
  await page.keyboard.down('Space')
  await expect.poll(() => frames(page)).toBeGreaterThanOrEqual(2)
  await page.keyboard.up('Space')
  // Escape asks before throwing frames away; "Keep them" keeps them.
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('camera-discard')).toContainText('Close and throw away the')
  await expect(page.getByTestId('camera-dialog')).toBeVisible()
  await page.getByRole('button', { name: 'Keep them' }).click()
  await expect(page.getByTestId('camera-discard')).toHaveCount(0)
  expect(await frames(page)).toBeGreaterThanOrEqual(2)
  await page.keyboard.press('Escape')
  await page.getByTestId('camera-discard-confirm').click()
  await expect(page.getByTestId('camera-dialog')).toHaveCount(0)
  // Nothing was imported, and the camera is off again.
  await expect(page.getByTestId('camera-open')).toBeFocused()
  expect(await page.evaluate(() => document.querySelectorAll('video').length)).toBe(0)
})
