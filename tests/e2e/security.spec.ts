import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { callApi, expect, openApp, test } from './support/fixtures'
import { startServer } from './support/server'

test('the server refuses a browser without the token', async ({ page, server }) => {
  const response = await page.goto(server.url)
  expect(response?.status()).toBe(401)
  await expect(page.locator('h1')).toHaveText('ModelBench needs its access token')
})

test('the API refuses a request without the token', async ({ request, server }) => {
  const response = await request.post(`${server.url}api/projects.list`, { data: {} })
  expect(response.status()).toBe(401)
  expect(await response.json()).toEqual({
    ok: false,
    error: { code: 'INVALID_ARGUMENT', message: 'Missing or wrong access token' },
  })
})

test('no token reaches another local server, and reload keeps working without a cookie', async ({ page, server }) => {
  // Another program on this machine, on another port, recording every request the browser sends it.
  const seen: Array<{ url: string; headers: Record<string, string | string[] | undefined> }> = []
  const { createServer } = await import('node:http')
  const other = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end()
  })
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  const otherPort = (other.address() as { port: number }).port
  try {
    await openApp(page, server, '#/projects')
    // The user opens another local program in the same browser: it gets whatever the browser keeps for
    // 127.0.0.1 (cookies are shared by every port), and its page can make requests of its own.
    const otherPage = await page.context().newPage()
    await otherPage.goto(`http://127.0.0.1:${otherPort}/page`)
    await otherPage.evaluate(async (port) => {
      await fetch(`http://127.0.0.1:${port}/fetch`, { credentials: 'include' })
    }, otherPort)
    await otherPage.close()
    expect(
      seen
        .map((s) => s.url)
        .filter((u) => u !== '/favicon.ico')
        .sort(),
    ).toEqual(['/fetch', '/page'])
    for (const s of seen) {
      const text = JSON.stringify(s)
      expect(text).not.toContain(server.token)
      expect(s.headers.cookie).toBeUndefined()
    }
    expect(await page.context().cookies()).toEqual([])
    await page.reload()
    await page.locator('html[data-app-state="ready"]').waitFor()
    await expect(page.getByTestId('page-projects')).toBeVisible()
  } finally {
    other.close()
  }
})

test('no data route answers without the token, and traversal is refused before any file is touched', async ({
  request,
  server,
}) => {
  for (const [method, path] of [
    ['GET', 'api/events'],
    ['POST', 'api/projects.list'],
    ['POST', 'upload/abcdef123456'],
    ['GET', `media/thumbs/${'a'.repeat(64)}`],
    ['GET', `s/${'0'.repeat(32)}/`],
    ['GET', 'index.html'],
  ] as const) {
    const response = await request.fetch(`${server.url}${path}`, {
      method,
      headers: { accept: 'application/json' },
      maxRedirects: 0,
    })
    expect(response.status(), `${method} ${path}`).toBe(401)
  }
  const project = await callApi<{ id: string }>(server, 'projects.create', { name: 'Traversal' })
  for (const [method, input] of [
    ['datasets.importImages', { projectId: project.id, paths: [`${server.dataDir}/uploads/../../anything`] }],
    ['datasets.importImages', { projectId: project.id, paths: [server.dataDir] }],
    ['datasets.previewTable', { path: `${server.dataDir}/../x.csv` }],
    ['datasets.importTable', { projectId: project.id, path: `/tmp/../etc/passwd`, targetColumn: 'x' }],
    ['exports.start', { runId: 'nope', formats: ['onnx'], dir: `${server.dataDir}/exports/../../..` }],
  ] as const) {
    const response = await request.post(`${server.url}api/${method}`, {
      headers: { 'x-modelbench-token': server.token },
      data: input,
    })
    expect(response.status(), `${method} ${JSON.stringify(input)}`).toBe(400)
  }
  expect(existsSync(join(server.dataDir, 'modelbench.sqlite'))).toBe(true)
  expect((await callApi<Array<{ name: string }>>(server, 'projects.list', {})).map((p) => p.name)).toEqual([
    'Traversal',
  ])
})

test('a second server on the same data directory refuses, naming the one that has it', async ({ server }) => {
  const second = startServer(server.dataDir)
  await expect(second).rejects.toThrow(
    /is in use by the ModelBench server at http:\/\/127\.0\.0\.1:\d+\/ \(process \d+/,
  )
})
