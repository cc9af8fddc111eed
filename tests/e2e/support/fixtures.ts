/**
 * Test fixtures: every test gets its own temporary data directory and its own server, and pages wait
 * for the app-ready signal (`html[data-app-state="ready"]`), never a sleep.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test as base, type Page } from '@playwright/test'
import { startServer, type ServerHandle } from './server'

export const screenshotDir = fileURLToPath(new URL('../screenshots/', import.meta.url))

export async function openApp(page: Page, server: ServerHandle, hash = ''): Promise<void> {
  await page.goto(`${server.openUrl}${hash}`)
  await page.locator('html[data-app-state="ready"]').waitFor()
}

export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: false })
}

/** Calls a contract method over the server's HTTP API (to set up what a spec is not about). */
export async function callApi<T>(server: ServerHandle, method: string, input: unknown): Promise<T> {
  const res = await fetch(`${server.url}api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-modelbench-token': server.token },
    body: JSON.stringify(input),
  })
  const body = (await res.json()) as { ok: boolean; value: T; error?: { message: string } }
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`)
  return body.value
}

export const test = base.extend<{ dataDir: string; sourceDir: string; server: ServerHandle }>({
  // eslint-disable-next-line no-empty-pattern
  dataDir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbench-e2e-'))
    await use(dir)
    rmSync(dir, { recursive: true, force: true })
  },
  /** A folder outside the data directory for files a test imports; removed afterwards. */
  // eslint-disable-next-line no-empty-pattern
  sourceDir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'modelbench-e2e-source-'))
    await use(dir)
    rmSync(dir, { recursive: true, force: true })
  },
  server: async ({ dataDir }, use) => {
    const server = await startServer(dataDir)
    await use(server)
    await server.stop()
  },
})

export { expect } from '@playwright/test'
