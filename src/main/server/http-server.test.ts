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
  const server = await startServer({
    core,
    port: 0,
    ...(staticDir ? { staticDir } : {}),
    ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}),
  })
  running.push({ server, core })
  return server
}

function post(
  server: RunningServer,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-modelbench-token': server.token, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** A raw request, so the Host header and path can be anything (fetch normalises both). */
function raw(
  server: RunningServer,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
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
    expect(await res.json()).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'Missing or wrong access token' },
    })
  })

  it('accepts the token as a bearer header or a query parameter', async () => {
    const server = await start()
    expect(
      (await post(server, 'projects.list', {}, { 'x-modelbench-token': '', authorization: `Bearer ${server.token}` }))
        .status,
    ).toBe(200)
    const res = await fetch(`${server.url}api/projects.list?token=${server.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(200)
  })

  it('answers an unknown method with 404, bad JSON with 400 and invalid input with INVALID_ARGUMENT naming the field', async () => {
    const server = await start()
    const unknown = await post(server, 'projects.vanish', {})
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'Unknown method "projects.vanish"' },
    })
    const badJson = await post(server, 'projects.create', '{"name":')
    expect(badJson.status).toBe(400)
    const invalid = await post(server, 'projects.create', { name: '' })
    expect(invalid.status).toBe(400)
    expect(await invalid.json()).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', field: 'name', message: 'name: A project needs a name' },
    })
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
    expect((await post(server, 'projects.list', '{}', { 'content-type': 'application/jsonx' })).status).toBe(415)
    expect(
      (await post(server, 'projects.list', '{}', { 'content-type': 'application/json; charset=utf-8' })).status,
    ).toBe(200)
  })

  it('answers the address it was bound to when that is another loopback address (127.0.0.2)', async () => {
    const dir = tempDir()
    const core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 'test' })
    const server = await startServer({ core, host: '127.0.0.2', port: 0 })
    running.push({ server, core })
    expect(server.url).toBe(`http://127.0.0.2:${server.port}/`)
    const res = await fetch(`${server.url}api/projects.list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-modelbench-token': server.token },
      body: '{}',
    })
    expect(res.status).toBe(200)
  })

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const server = await start()
    const res = await raw(server, `/api/events?token=${server.token}`, { host: `evil.example:${server.port}` })
    expect(res.status).toBe(403)
  })

  it('opens the app under its key without any cookie, and refuses it without the key', async () => {
    const server = await start({ withStatic: true })
    const opened = await fetch(server.openUrl, { redirect: 'manual' })
    expect(opened.status).toBe(303)
    expect(opened.headers.get('set-cookie')).toBeNull()
    const location = opened.headers.get('location')!
    expect(location).toMatch(new RegExp(`^/s/[0-9a-f]{32}/\\?token=${server.token}$`))
    const appUrl = new URL(location, server.url)
    appUrl.search = ''
    const page = await fetch(appUrl)
    expect(page.status).toBe(200)
    expect(page.headers.get('set-cookie')).toBeNull()
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    // The key opens the app's files only, not the API; a wrong key opens nothing.
    expect(
      (
        await fetch(new URL('/api/projects.list', appUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(401)
    expect((await fetch(`${server.url}s/${'0'.repeat(32)}/`)).status).toBe(401)
    const noToken = await fetch(server.url, { headers: { accept: 'text/html' } })
    expect(noToken.status).toBe(401)
    expect(await noToken.text()).toContain('needs its access token')
  })

  it('answers every page and image the same whatever cookies another local program set', async () => {
    const server = await start({ withStatic: true })
    const location = (await fetch(server.openUrl, { redirect: 'manual' })).headers.get('location')!
    const appPath = location.split('?')[0]!
    for (const cookie of ['prefs=100%', 'a=%E0%A4%A', `modelbench_token_${server.port}=${server.token}`]) {
      expect((await raw(server, appPath, { host: `127.0.0.1:${server.port}`, cookie })).status, cookie).toBe(200)
      // A cookie never stands in for the token.
      expect(
        (await raw(server, '/media/thumbs/' + 'a'.repeat(64), { host: `127.0.0.1:${server.port}`, cookie })).status,
        cookie,
      ).toBe(401)
    }
  })

  it('never serves files outside the app folder, and answers malformed paths with 400', async () => {
    const server = await start({ withStatic: true })
    const appPath = (await fetch(server.openUrl, { redirect: 'manual' })).headers.get('location')!.split('?')[0]!
    for (const path of ['../secret.txt', '%2e%2e/secret.txt', '..%2fsecret.txt', '%2e%2e%2f%2e%2e%2fsecret.txt']) {
      const res = await raw(server, `${appPath}${path}`, { host: `127.0.0.1:${server.port}` })
      expect(res.status, path).not.toBe(200)
      expect(res.body).not.toContain('outside the static root')
    }
    for (const path of ['%E0%A4%A', 'a%00b', '%']) {
      const res = await raw(server, `${appPath}${path}`, { host: `127.0.0.1:${server.port}` })
      expect(res.status, path).toBe(400)
      expect(JSON.parse(res.body).error.message, path).toMatch(/malformed %-escape|NUL byte/)
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
    expect(
      Buffer.from(await (await fetch(`${server.url}media/thumbs/${hash}?token=${server.token}`)).arrayBuffer()),
    ).toEqual(png)
    for (const path of [
      `media/thumbs/${'b'.repeat(64)}`,
      'media/blobs/../../modelbench.sqlite',
      `media/other/${hash}`,
      'media/blobs/abc',
    ]) {
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
    for (const bad of ['../escape.png', 'a/../../b.png', '', 'a\0b.png'])
      expect((await upload(bad, 'x')).status, bad).toBe(400)
    const malformed = await fetch(`${server.url}upload/abcdef123456`, {
      method: 'POST',
      headers: { 'x-modelbench-token': server.token, 'x-relative-path': '%E0%A4%A' },
      body: 'x',
    })
    expect(malformed.status).toBe(400)
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toBe(
      'The x-relative-path has a malformed %-escape',
    )
  })

  it('answers 413 to a chunked body over the limit instead of resetting the connection', async () => {
    const server = await start({ maxBodyBytes: 1000 })
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/api/projects.create',
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-modelbench-token': server.token,
            'transfer-encoding': 'chunked',
          },
        },
        (r) => {
          let body = ''
          r.on('data', (c: Buffer) => (body += c.toString()))
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }))
        },
      )
      req.on('error', reject)
      req.write('{"name":"x","description":"')
      for (let i = 0; i < 20; i++) req.write('y'.repeat(500))
      req.end('"}')
    })
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).error.message).toMatch(/larger than the 1 KiB limit/)
    expect((await (await post(server, 'projects.list', {})).json()) as unknown).toEqual({ ok: true, value: [] })
  })

  it('streams uploads to disk within per-file and total limits, answering 413 and leaving nothing behind', async () => {
    const dir = tempDir()
    const core = createCore({
      dataDir: join(dir, 'data'),
      shell: 'server',
      version: 'test',
      uploadLimits: { fileBytes: 4000, totalBytes: 6000 },
    })
    const server = await startServer({ core, port: 0 })
    running.push({ server, core })
    const send = (name: string, bytes: number, chunked = false): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: server.port,
            path: '/upload/limits-test-1',
            method: 'POST',
            headers: {
              'x-modelbench-token': server.token,
              'x-relative-path': name,
              ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': bytes }),
            },
          },
          (r) => {
            r.resume()
            r.on('end', () => resolve(r.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        for (let left = bytes; left > 0; left -= 500) req.write(Buffer.alloc(Math.min(500, left), 1))
        req.end()
      })
    expect(await send('a.png', 3000)).toBe(200)
    expect(await send('big.png', 5000)).toBe(413)
    expect(await send('big-chunked.png', 5000, true)).toBe(413)
    expect(await send('over-total.png', 3500, true)).toBe(413)
    expect(await send('b.png', 2000)).toBe(200)
    const { readdirSync } = await import('node:fs')
    expect(readdirSync(join(core.dataDir, 'uploads', 'limits-test-1')).sort()).toEqual(['a.png', 'b.png'])
  })

  it('streams contract events as server-sent events', async () => {
    const server = await start()
    const controller = new AbortController()
    const res = await fetch(`${server.url}api/events?token=${server.token}`, { signal: controller.signal })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const reader = res.body!.getReader()
    const created = (await (await post(server, 'projects.create', { name: 'Evented' })).json()) as {
      value: { id: string }
    }
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
