import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../core/core'
import { useTempDirs } from '../test-support/temp-dir'
import { startServer, type RunningServer } from './http-server'

const tempDir = useTempDirs()
const running: Array<{ server: RunningServer; core: Core }> = []

afterEach(async () => {
  for (const { server, core } of running.splice(0)) {
    await server.close()
    await core.close()
  }
})

async function start(opts: { maxBodyBytes?: number; withStatic?: boolean } = {}): Promise<RunningServer> {
  const dir = tempDir()
  const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 'test' })
  let staticDir: string | undefined
  if (opts.withStatic) {
    staticDir = join(dir, 'static')
    mkdirSync(staticDir)
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>app</title>')
    writeFileSync(join(dir, 'secret.txt'), 'outside the static root')
  }
  const server = await startServer({ core, port: 0, ...(staticDir ? { staticDir } : {}), ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}) })
  running.push({ server, core })
  return server
}

function post(server: RunningServer, method: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-modelbench-token': server.token, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** A raw request, so the Host header and path can be anything (fetch normalises both). */
function raw(server: RunningServer, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('headless server', () => {
  it('binds 127.0.0.1 and prints an open URL with the token', async () => {
    const server = await start()
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(server.openUrl).toBe(`${server.url}?token=${server.token}`)
    expect(server.token).toMatch(/^[0-9a-f]{48}$/)
  })

  it('runs a contract method and returns its result', async () => {
    const server = await start()
    const res = await post(server, 'projects.create', { name: 'Over HTTP' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ok: true, value: { name: 'Over HTTP' } })
  })

  it.each([
    ['no token', {}],
    ['a wrong token', { 'x-modelbench-token': 'nope' }],
    ['a wrong bearer token', { authorization: 'Bearer nope' }],
  ])('refuses a request with %s (401)', async (_label, headers) => {
    const server = await start()
    const res = await fetch(`${server.url}api/projects.list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{}',
    })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Missing or wrong access token' } })
  })

  it('accepts the token as a bearer header or a query parameter', async () => {
    const server = await start()
    expect((await post(server, 'projects.list', {}, { 'x-modelbench-token': '', authorization: `Bearer ${server.token}` })).status).toBe(200)
    const res = await fetch(`${server.url}api/projects.list?token=${server.token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(200)
  })

  it('answers an unknown method with 404, bad JSON with 400 and invalid input with INVALID_ARGUMENT naming the field', async () => {
    const server = await start()
    const unknown = await post(server, 'projects.vanish', {})
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'Unknown method "projects.vanish"' } })
    const badJson = await post(server, 'projects.create', '{"name":')
    expect(badJson.status).toBe(400)
    const invalid = await post(server, 'projects.create', { name: '' })
    expect(invalid.status).toBe(400)
    expect(await invalid.json()).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', field: 'name', message: 'name: A project needs a name' } })
  })

  it('refuses a body over the size limit with 413 and changes nothing', async () => {
    const server = await start({ maxBodyBytes: 1000 })
    const res = await post(server, 'projects.create', { name: 'x', description: 'y'.repeat(2000) })
    expect(res.status).toBe(413)
    expect((await (await post(server, 'projects.list', {})).json()) as unknown).toEqual({ ok: true, value: [] })
  })

  it('refuses GET on a method and non-JSON bodies', async () => {
    const server = await start()
    expect((await fetch(`${server.url}api/projects.list?token=${server.token}`)).status).toBe(405)
    expect((await post(server, 'projects.list', '{}', { 'content-type': 'text/plain' })).status).toBe(415)
  })

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const server = await start()
    const res = await raw(server, `/api/events?token=${server.token}`, { host: `evil.example:${server.port}` })
    expect(res.status).toBe(403)
  })

  it('serves the app with a CSP, sets the token cookie, and then accepts the cookie', async () => {
    const server = await start({ withStatic: true })
    const page = await fetch(server.openUrl)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    const cookie = page.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(new RegExp(`^modelbench_token_${server.port}=${server.token}; HttpOnly; SameSite=Strict`))
    const again = await fetch(server.url, { headers: { cookie: cookie.split(';')[0]! } })
    expect(again.status).toBe(200)
    const noToken = await fetch(server.url, { headers: { accept: 'text/html' } })
    expect(noToken.status).toBe(401)
    expect(await noToken.text()).toContain('needs its access token')
  })

  it('never serves files outside the app folder', async () => {
    const server = await start({ withStatic: true })
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const res = await raw(server, `${path}?token=${server.token}`, { host: `127.0.0.1:${server.port}` })
      expect(res.status).toBe(404)
      expect(res.body).not.toContain('outside the static root')
    }
  })

  it('serves imported images by content hash and refuses anything else under /media', async () => {
    const server = await start()
    const { core } = running.at(-1)!
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')
    const hash = 'a'.repeat(64)
    await core.blobs.putBlob(hash, png)
    const res = await fetch(`${server.url}media/blobs/${hash}?token=${server.token}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await res.arrayBuffer())).toEqual(png)
    // Without a thumbnail file the original serves as its own thumbnail.
    expect(Buffer.from(await (await fetch(`${server.url}media/thumbs/${hash}?token=${server.token}`)).arrayBuffer())).toEqual(png)
    for (const path of [`media/thumbs/${'b'.repeat(64)}`, 'media/blobs/../../modelbench.sqlite', `media/other/${hash}`, 'media/blobs/abc']) {
      expect((await fetch(`${server.url}${path}?token=${server.token}`)).status, path).toBe(404)
    }
    expect((await fetch(`${server.url}media/blobs/${hash}`)).status).toBe(401)
  })

  it('stores uploads under the data directory, keeping relative paths, and refuses escaping names', async () => {
    const server = await start()
    const { core } = running.at(-1)!
    const upload = (name: string, body: string): Promise<Response> =>
      fetch(`${server.url}upload/abcdef123456`, {
        method: 'POST',
        headers: { 'x-modelbench-token': server.token, 'x-relative-path': encodeURIComponent(name) },
        body,
      })
    const ok = await upload('pets/cats/猫.png', 'bytes')
    expect(ok.status).toBe(200)
    const { value } = (await ok.json()) as { value: { path: string; root: string } }
    expect(value.path).toBe(join(core.dataDir, 'uploads', 'abcdef123456', 'pets', 'cats', '猫.png'))
    expect(readFileSync(value.path, 'utf8')).toBe('bytes')
    for (const bad of ['../escape.png', 'a/../../b.png', '']) expect((await upload(bad, 'x')).status, bad).toBe(400)
  })

  it('streams contract events as server-sent events', async () => {
    const server = await start()
    const controller = new AbortController()
    const res = await fetch(`${server.url}api/events?token=${server.token}`, { signal: controller.signal })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const reader = res.body!.getReader()
    const created = (await (await post(server, 'projects.create', { name: 'Evented' })).json()) as { value: { id: string } }
    let text = ''
    while (!text.includes('event: projects.changed')) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    controller.abort()
    expect(text).toContain(`event: projects.changed\ndata: {"reason":"created","projectId":"${created.value.id}"}`)
  })
})
