/**
 * UI responsiveness while a run streams: the built headless server on a fresh data directory, the digits
 * sample, a Tiny CNN run of 2 epochs on the WebAssembly engine, and the Train page open in Debian's
 * Chromium (as the e2e specs run it, without a trace recorder). Records every main-thread task over 50 ms
 * (the browser's long-task API) from the first metric drawn until the run leaves "running", and prints
 * the count and the longest ones. The goal is 0 on an idle machine; a busy machine (another job on the
 * cores) adds tasks, which is why this is a benchmark and not an assertion in the e2e specs.
 * Run: npx electron-vite build && npm run bench:ui   (BENCH_EPOCHS=2)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import config from '../playwright.config'
import { startServer } from '../tests/e2e/support/server'
import { callApi } from '../tests/e2e/support/fixtures'

// The few fields used here (this file is type-checked with the e2e specs, which do not see src/).
type ImportInfo = { id: string; status: string }
type Project = { id: string }
type RunSummary = { id: string; name: string }

const epochs = Number(process.env.BENCH_EPOCHS ?? 2)

const tinyCnn = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', config: { filters: 8, kernelSize: [3, 3] } },
    { type: 'MaxPooling2D', config: {} },
    { type: 'Flatten', config: {} },
    { type: 'Dense', config: { units: 10, activation: 'softmax' } },
  ],
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelbench-bench-ui-'))
  const server = await startServer(dataDir)
  const launch = config.use?.launchOptions ?? {}
  const browser = await chromium.launch(launch)
  try {
    const { project, import: started } = await callApi<{ project: Project; import: ImportInfo }>(
      server,
      'projects.createSample',
      { sample: 'digits' },
    )
    for (;;) {
      const info = await callApi<ImportInfo>(server, 'imports.get', { importId: started.id })
      if (info.status !== 'running') break
      await new Promise((r) => setTimeout(r, 250))
    }
    await callApi(server, 'projects.open', { id: project.id })
    // Started before the page opens, which reattaches to the run in progress as a user coming back would
    // (the page follows the runs it started or found on arrival, not one started elsewhere meanwhile).
    const run = await callApi<RunSummary>(server, 'runs.start', {
      projectId: project.id,
      spec: tinyCnn,
      seed: 7,
      hyperparameters: { epochs, batchSize: 32 },
      engine: 'wasm',
    })
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto(`${server.openUrl}#/train`)
    await page.locator('html[data-app-state="ready"]').waitFor()
    await page.evaluate(() => {
      const w = window as unknown as {
        longTasks: Array<{ start: number; duration: number }>
        streamingStarted: number | null
        streamingEnded: number | null
      }
      w.longTasks = []
      w.streamingStarted = null
      w.streamingEnded = null
      new PerformanceObserver((list) =>
        list.getEntries().forEach((e) => w.longTasks.push({ start: e.startTime, duration: e.duration })),
      ).observe({ type: 'longtask', buffered: false })
      // Streaming starts with the first metric drawn and ends when the run leaves "running".
      new MutationObserver(() => {
        if (
          w.streamingStarted === null &&
          Number(document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points')) > 0
        )
          w.streamingStarted = performance.now()
        const s = document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status')
        if (w.streamingStarted !== null && w.streamingEnded === null && s !== 'running')
          w.streamingEnded = performance.now()
      }).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-status', 'data-points'],
      })
    })
    const t0 = Date.now()
    await page.getByTestId('run-status').and(page.locator('[data-status="completed"]')).waitFor({ timeout: 600_000 })
    const seconds = (Date.now() - t0) / 1000
    const { during, outside, points } = await page.evaluate(() => {
      const w = window as unknown as {
        longTasks: Array<{ start: number; duration: number }>
        streamingStarted: number | null
        streamingEnded: number | null
      }
      const begin = w.streamingStarted ?? 0
      const end = w.streamingEnded ?? Infinity
      return {
        during: w.longTasks.filter((t) => t.start >= begin && t.start < end).map((t) => t.duration),
        outside: w.longTasks.filter((t) => t.start < begin || t.start >= end).length,
        points: Number(document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points')),
      }
    })
    const longest = [...during].sort((a, b) => b - a).slice(0, 10)
    console.log(
      `ui while streaming: run ${run.name}, ${epochs} epochs in ${seconds.toFixed(1)} s, ${points} loss points drawn`,
    )
    console.log(
      `ui while streaming: ${during.filter((d) => d > 50).length} main-thread tasks over 50 ms (goal 0 on an idle machine); longest: ${longest.map((d) => `${d.toFixed(0)} ms`).join(', ') || 'none'}; ${outside} before the first point or after the end`,
    )
  } finally {
    await browser.close()
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
