import { expect, openApp, saveScreenshot, test } from './support/fixtures'

test('the Engine page says in plain words what trains, how fast against the others, and keeps CUDA facts under Details (item 10)', async ({
  page,
  server,
}) => {
  // The check takes a few seconds on a first start and shows its steps while it runs: record what it showed.
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(window as unknown as { progressSeen: string[] }).progressSeen = seen
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="doctor-progress"]')?.textContent
      if (text && seen.at(-1) !== text) seen.push(text)
    }).observe(document, { subtree: true, childList: true, characterData: true })
  })
  await openApp(page, server, '#/engine')
  const verdict = page.getByTestId('doctor-verdict')
  await expect(verdict).toContainText('Your models train on the processor, with WebAssembly')
  await expect(page.getByTestId('doctor-progress')).toHaveCount(0)
  const shown = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen)
  expect(shown[0]).toBe('Starting the check…')
  for (const text of shown.slice(1))
    expect(text).toMatch(
      /^(Starting the training engine|Looking for an NVIDIA graphics card|Looking for the CUDA and cuDNN libraries|Trying the GPU engine|Done)… \(step \d of 4\)$/,
    )
  await expect(page.getByTestId('doctor-gpu-summary')).toHaveText(
    'This computer has no NVIDIA graphics card that ModelBench can use. Training on the processor works; it is only slower.',
  )
  const speeds = page.getByTestId('doctor-speeds')
  await expect(speeds).toContainText(
    'this engine trains about 1,325 images a second on a 2-core laptop: five passes over the digits take about 38 s',
  )
  await expect(page.getByTestId('engine-row-wasm')).toContainText('in use')
  await expect(page.getByTestId('engine-row-cpu')).toContainText('not tried: slower')
  await expect(page.getByTestId('engine-row-node-gpu')).toContainText('not available (see Details)')
  // CUDA and cuDNN are details: hidden until asked for.
  const details = page.getByTestId('doctor-details')
  await expect(page.getByText('CUDA runtime')).toBeHidden()
  await expect(page.getByTestId('page-engine')).not.toContainText('Driver not found')
  await saveScreenshot(page, 'engine-doctor')
  await details.locator('summary').click()
  await expect(page.getByTestId('doctor-engine')).toContainText('tfjs backend “wasm”')
  const advice = page.getByTestId('doctor-advice')
  await expect(advice).toContainText('No NVIDIA GPU driver was found')
  await expect(advice).toContainText('npm install @tensorflow/tfjs-node-gpu')
  await saveScreenshot(page, 'engine-doctor-details')
})
