import { swiftShaderEnv } from '../../src/main/test-support/swiftshader'
import { digitsWithRun } from './support/digits-run'
import { callApi, expect, openApp, saveScreenshot, test } from './support/fixtures'
import { startServer } from './support/server'

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
      /^(Starting the training engine and asking WebGPU for a graphics card|Looking for an NVIDIA graphics card|Looking for the CUDA and cuDNN libraries|Trying the GPU engine|Done)… \(step \d of 4\)$/,
    )
  await expect(page.getByTestId('doctor-webgpu-summary')).toHaveText(
    'WebGPU found no graphics card (it needs a Metal, Vulkan or Direct3D 12 driver): see Details for why.',
  )
  await expect(page.getByTestId('doctor-gpu-summary')).toHaveText(
    'This computer has no NVIDIA graphics card that ModelBench can use with CUDA. Training on the processor works; it is only slower.',
  )
  await expect(page.getByTestId('engine-choice-select')).toHaveValue('auto')
  const speeds = page.getByTestId('doctor-speeds')
  await expect(speeds).toContainText(
    'this engine trains about 1,325 images a second on a 2-core laptop: five passes over the digits take about 38 s',
  )
  await expect(page.getByTestId('engine-row-wasm')).toContainText('in use')
  await expect(page.getByTestId('engine-row-cpu')).toContainText('not tried: slower')
  await expect(page.getByTestId('engine-row-node-gpu')).toContainText('not available (see Details)')
  await expect(page.getByTestId('engine-row-webgpu')).toContainText('not available (see Details)')
  // CUDA and cuDNN are details: hidden until asked for.
  const details = page.getByTestId('doctor-details')
  await expect(page.getByText('CUDA runtime')).toBeHidden()
  await expect(page.getByTestId('page-engine')).not.toContainText('Driver not found')
  await saveScreenshot(page, 'engine-doctor')
  await details.locator('summary').click()
  await expect(page.getByTestId('doctor-engine')).toContainText('tfjs backend “wasm”')
  await expect(page.getByTestId('doctor-adapter')).toContainText('no WebGPU adapter was found')
  const advice = page.getByTestId('doctor-advice')
  await expect(advice).toContainText('No NVIDIA GPU driver was found')
  await expect(advice).toContainText('npm install @tensorflow/tfjs-node-gpu')
  await saveScreenshot(page, 'engine-doctor-details')
  // An engine chosen that cannot start says why, and Automatic brings the working one back.
  await page.getByTestId('engine-choice-select').selectOption('node-gpu')
  await expect(page.getByTestId('doctor-verdict')).toContainText('No training engine could start')
  await expect(page.getByTestId('doctor-engine-problem')).toContainText('@tensorflow/tfjs-node-gpu is not installed')
  await page.getByTestId('engine-choice-select').selectOption('auto')
  await expect(page.getByTestId('doctor-verdict')).toContainText('Your models train on the processor, with WebAssembly')
})

const swiftShader = swiftShaderEnv()

test('the Engine page shows the WebGPU adapter; chosen there, a software adapter trains and the receipt names it', async ({
  page,
  dataDir,
  sourceDir,
}) => {
  test.skip(!swiftShader.ok, swiftShader.ok ? '' : swiftShader.why)
  test.setTimeout(240_000)
  const server = await startServer(dataDir, { env: swiftShader.ok ? swiftShader.env : {} })
  try {
    await openApp(page, server, '#/engine')
    const verdict = page.getByTestId('doctor-verdict')
    // Automatic never trains on a software adapter: it is found and named, and the processor is used.
    await expect(verdict).toContainText('Your models train on the processor, with WebAssembly')
    await expect(page.getByTestId('doctor-webgpu-summary')).toHaveText(
      'WebGPU found only a software adapter (google swiftshader (SwiftShader driver 5.0.0), software), which is slower than the processor, so training uses the processor.',
    )
    await expect(page.getByTestId('engine-row-webgpu')).toContainText('only a software adapter (see Details)')

    await page.getByTestId('engine-choice-select').selectOption('webgpu')
    await expect(verdict).toContainText('Your models train with WebGPU on a software adapter (chosen here)')
    await expect(page.getByTestId('engine-row-webgpu')).toContainText('in use')
    await expect(page.getByTestId('doctor-webgpu-summary')).toContainText('use it to check results, not for speed')
    await page.getByTestId('doctor-details').locator('summary').click()
    const facts = page.getByTestId('doctor-adapter')
    await expect(facts).toContainText('swiftshader')
    await expect(facts).toContainText('SwiftShader driver 5.0.0')
    await expect(facts).toContainText('software (no graphics card behind it)')
    await expect(facts).toContainText('(maxStorageBufferBindingSize)')
    await expect(page.getByTestId('engine-row-node')).toContainText('not tried: another engine is chosen')
    await saveScreenshot(page, 'engine-webgpu')
    await facts.scrollIntoViewIfNeeded()
    await saveScreenshot(page, 'engine-webgpu-details')
    expect(await callApi<{ choice: string }>(server, 'engine.setPreference', { choice: 'webgpu' })).toMatchObject({
      choice: 'webgpu',
    })

    // A run started without naming an engine trains on the chosen one; its receipt shows the adapter.
    const { runId } = await digitsWithRun(server, sourceDir, 5)
    await openApp(page, server, `#/runs/${runId}`)
    const receipt = page.getByTestId('receipt')
    await expect(receipt).toContainText('webgpu (on google swiftshader (SwiftShader driver 5.0.0), software)')
    await receipt.scrollIntoViewIfNeeded()
    await saveScreenshot(page, 'run-receipt-webgpu')
  } finally {
    await server.stop()
  }
})
