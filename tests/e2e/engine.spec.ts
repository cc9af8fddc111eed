import { expect, openApp, saveScreenshot, test } from './support/fixtures'

test('the GPU doctor says which engine trains and what the GPU would need', async ({ page, server }) => {
  await openApp(page, server, '#/engine')
  const verdict = page.getByTestId('doctor-verdict')
  await expect(verdict).toContainText('Training runs on the CPU (WebAssembly CPU)')
  await expect(page.getByTestId('doctor-engine')).toContainText('tfjs backend “wasm”')
  // These machines have no NVIDIA driver and no tfjs-node-gpu: the doctor says so in words.
  const advice = page.getByTestId('doctor-advice')
  await expect(advice).toContainText('No NVIDIA GPU driver was found')
  await expect(advice).toContainText('npm install @tensorflow/tfjs-node-gpu')
  await saveScreenshot(page, 'engine-doctor')
})
