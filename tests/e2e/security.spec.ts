import { expect, test } from './support/fixtures'

test('the server refuses a browser without the token', async ({ page, server }) => {
  const response = await page.goto(server.url)
  expect(response?.status()).toBe(401)
  await expect(page.locator('h1')).toHaveText('ModelBench needs its access token')
})

test('the API refuses a request without the token', async ({ request, server }) => {
  const response = await request.post(`${server.url}api/projects.list`, { data: {} })
  expect(response.status()).toBe(401)
  expect(await response.json()).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Missing or wrong access token' } })
})
