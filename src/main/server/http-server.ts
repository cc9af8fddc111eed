/**
 * The headless server: the built renderer plus the contract as `POST /api/<method>` and server-sent
 * events at `GET /api/events`. Every request must carry the access token: API calls and uploads in a
 * header (or `?token=`, which the event stream needs), never in a cookie — a browser sends cookies for
 * 127.0.0.1 to every port, so any other local server would receive it. Opening `/?token=…` redirects to
 * the app at `/s/<app key>/`, a key derived from the token that opens the app's files and images only, so
 * the page, its assets, thumbnails and a reload work without a cookie. Bound to 127.0.0.1 by default, and
 * then only loopback Host headers are accepted, which stops DNS-rebinding pages from reaching it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { basename, extname, join, normalize, resolve, sep } from 'node:path'
import type { ContractError, ErrorCode } from '../../shared/contract'
import { isMethodName } from '../../shared/contract'
import { serverContentSecurityPolicy } from '../../shared/csp'
import type { Core } from '../core/core'
import { sniffImageType } from '../core/datasets/blob-store'
import { AppError, diskFullMessage, isDiskFull } from '../core/errors'
import { UploadTooLargeError } from '../core/uploads'
import { zipFolder } from '../core/export/zip'

export interface ServerOptions {
  core: Core
  host?: string
  port?: number
  token?: string
  /** The built renderer (out/renderer); without it only the API is served. */
  staticDir?: string
  maxBodyBytes?: number
}

export interface RunningServer {
  url: string
  /** The URL to open in a browser, token included. */
  openUrl: string
  port: number
  token: string
  close(): Promise<void>
}

export const defaultMaxBodyBytes = 1024 * 1024

const statusFor: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  INTERNAL: 500,
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.')
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: ContractError,
  ) {
    super(error.message)
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...securityHeaders,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

function sendError(res: ServerResponse, status: number, error: ContractError): void {
  sendJson(res, status, { ok: false, error })
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return (await readBodyBytes(req, limit)).toString('utf8')
}

function readBodyBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge(limit))
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
        return
      }
      // Over the limit (a chunked body declares no length): stop keeping it, answer 413, drain the rest.
      req.off('data', onData)
      chunks.length = 0
      reject(tooLarge(limit))
    }
    req.on('data', onData)
    req.on('end', () => resolveBody(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, {
    code: 'INVALID_ARGUMENT',
    message: `The request body is larger than the ${Math.round(limit / 1024)} KiB limit`,
  })
}

/**
 * After an early answer (413, 400) to a request whose body is still arriving: read and drop the rest so
 * the client sees the answer instead of a reset connection, but never for more than a few seconds.
 */
function drainAndClose(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('connection', 'close')
  if (req.readableEnded) return
  const timer = setTimeout(() => req.socket.destroy(), 5000)
  timer.unref()
  req.on('end', () => clearTimeout(timer))
  req.resume()
}

/** `decodeURIComponent` that answers 400 naming what was malformed, instead of throwing a URIError. */
function decodeOrRefuse(text: string, what: string): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(text)
  } catch {
    throw new HttpError(400, { code: 'INVALID_ARGUMENT', message: `The ${what} has a malformed %-escape`, field: what })
  }
  if (decoded.includes('\0'))
    throw new HttpError(400, { code: 'INVALID_ARGUMENT', message: `The ${what} contains a NUL byte`, field: what })
  return decoded
}

function sameSecret(a: string, b: string): boolean {
  const ba = Buffer.from(a)
  const bb = Buffer.from(b)
  return ba.length === bb.length && timingSafeEqual(ba, bb)
}

const unauthorizedPage = `<!doctype html><meta charset="utf-8"><title>ModelBench — access token needed</title>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; line-height: 1.5">
<h1>ModelBench needs its access token</h1>
<p>This server only answers requests that carry the token it printed when it started.
Open the full URL shown in the terminal where you ran <code>modelbench serve</code>; it ends in <code>?token=…</code>.</p>
</body>`

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { core } = options
  const host = options.host ?? '127.0.0.1'
  const token = options.token ?? randomBytes(24).toString('hex')
  const maxBody = options.maxBodyBytes ?? defaultMaxBodyBytes
  const staticRoot = options.staticDir ? resolve(options.staticDir) : undefined
  const eventStreams = new Set<ServerResponse>()
  let port = options.port ?? 0
  // Opens the app's own files and images, nothing else; derived so it changes with the token.
  const appKey = createHmac('sha256', token).update('modelbench app files').digest('hex').slice(0, 32)
  const appPrefix = `/s/${appKey}/`

  function tokenOf(req: IncomingMessage, url: URL): string | undefined {
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ')) return auth.slice(7).trim()
    const header = req.headers['x-modelbench-token']
    if (typeof header === 'string') return header
    return url.searchParams.get('token') ?? undefined
  }

  function hostAllowed(req: IncomingMessage): boolean {
    if (!isLoopback(host)) return true
    const h = (req.headers.host ?? '').toLowerCase()
    const bound = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, bound].includes(h)
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST')
      throw new HttpError(405, { code: 'INVALID_ARGUMENT', message: `Use POST for /api/${method}` })
    }
    if (!isMethodName(method)) throw new HttpError(404, { code: 'NOT_FOUND', message: `Unknown method "${method}"` })
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/json') {
      throw new HttpError(415, { code: 'INVALID_ARGUMENT', message: 'Send the input as application/json' })
    }
    const text = await readBody(req, maxBody)
    let input: unknown
    try {
      input = text.trim() === '' ? {} : JSON.parse(text)
    } catch {
      throw new HttpError(400, { code: 'INVALID_ARGUMENT', message: 'The request body is not valid JSON' })
    }
    const result = await core.call(method, input)
    sendJson(res, result.ok ? 200 : statusFor[result.error.code], result)
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...securityHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    res.write('retry: 2000\n\n')
    eventStreams.add(res)
    const unsubscribe = core.events.onAny((event, payload) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`)
    })
    // A comment line now and then keeps proxies and the browser from timing the stream out.
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 20_000)
    req.on('close', () => {
      clearInterval(heartbeat)
      unsubscribe()
      eventStreams.delete(res)
    })
  }

  /** `media/thumbs/<hash>` and `media/blobs/<hash>` (`path` without its prefix): imported images and their thumbnails. */
  function serveMedia(res: ServerResponse, path: string): void {
    const [, kind = '', hash = ''] = path.split('/')
    const file = core.blobs.mediaPath(kind, hash)
    if (!file || !existsSync(file)) throw new HttpError(404, { code: 'NOT_FOUND', message: `No such image: ${path}` })
    const head = Buffer.alloc(16)
    const fd = openSync(file, 'r')
    try {
      readSync(fd, head, 0, 16, 0)
    } finally {
      closeSync(fd)
    }
    res.writeHead(200, {
      ...securityHeaders,
      'content-type': sniffImageType(head),
      'content-length': statSync(file).size,
      // Content-addressed: a URL's bytes never change.
      'cache-control': 'private, max-age=31536000, immutable',
    })
    createReadStream(file).pipe(res)
  }

  /**
   * `GET /download/exports/<exportId>`: a finished export's folder as a ZIP, for a browser, which cannot
   * open a folder on the server's disk. Unpacks into one folder named like the export folder.
   */
  function serveExportZip(req: IncomingMessage, res: ServerResponse, exportId: string): void {
    if (req.method !== 'GET')
      throw new HttpError(405, { code: 'INVALID_ARGUMENT', message: 'Use GET to download an export' })
    let record
    try {
      record = core.exports.get(decodeOrRefuse(exportId, 'exportId'))
    } catch (err) {
      if (err instanceof AppError) throw new HttpError(404, { code: err.code, message: err.message })
      throw err
    }
    if (record.status === 'running' || record.status === 'failed') {
      throw new HttpError(409, {
        code: 'INVALID_STATE',
        message: `This export is ${record.status}; only a finished export can be downloaded`,
      })
    }
    if (!existsSync(record.dir))
      throw new HttpError(404, { code: 'NOT_FOUND', message: `The export folder ${record.dir} is no longer there` })
    const name = basename(record.dir)
    const zip = zipFolder(record.dir, name)
    res.writeHead(200, {
      ...securityHeaders,
      'content-type': 'application/zip',
      'content-length': zip.length,
      'content-disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}.zip"; filename*=UTF-8''${encodeURIComponent(name)}.zip`,
      'cache-control': 'no-store',
    })
    res.end(zip)
  }

  /**
   * `POST /upload/<uploadId>` with the file as the body and its path inside the dropped folder in the
   * `x-relative-path` header: a browser cannot hand over file paths, so dropped files are streamed into
   * the data directory's uploads (see core/uploads.ts) and then imported from there.
   */
  async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, { code: 'INVALID_ARGUMENT', message: 'Use POST to upload' })
    const uploadId = url.pathname.split('/')[2] ?? ''
    const relative = decodeOrRefuse(String(req.headers['x-relative-path'] ?? ''), 'x-relative-path')
    const declared = Number(req.headers['content-length'])
    // The request itself is never destroyed by a refusal, so the client reads the answer.
    const body = new PassThrough()
    req.pipe(body)
    try {
      const saved = await core.uploads.receive(
        uploadId,
        relative,
        body,
        Number.isFinite(declared) ? declared : undefined,
      )
      sendJson(res, 200, { ok: true, value: saved })
    } catch (err) {
      req.unpipe(body)
      // handle() drains every 413; other refusals drain here, the body may still be arriving.
      if (err instanceof UploadTooLargeError)
        throw new HttpError(413, { code: 'INVALID_ARGUMENT', message: err.message })
      drainAndClose(req, res)
      if (err instanceof AppError)
        throw new HttpError(400, { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) })
      if (isDiskFull(err)) throw new HttpError(507, { code: 'INVALID_STATE', message: diskFullMessage })
      throw err
    }
  }

  /** The app's files under `/s/<app key>/`; `path` is what follows the prefix. */
  function serveStatic(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, { code: 'INVALID_ARGUMENT', message: `${req.method} is not allowed here` })
    }
    if (!staticRoot) throw new HttpError(404, { code: 'NOT_FOUND', message: 'This server was started without the app' })
    path = `/${decodeOrRefuse(path, 'path')}`
    if (path.endsWith('/')) path += 'index.html'
    const file = normalize(join(staticRoot, path))
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) {
      throw new HttpError(404, { code: 'NOT_FOUND', message: 'Not found' })
    }
    let size: number
    try {
      const st = statSync(file)
      if (!st.isFile()) throw new Error('not a file')
      size = st.size
    } catch {
      throw new HttpError(404, { code: 'NOT_FOUND', message: `No such file: ${path}` })
    }
    const type = contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream'
    const headers: Record<string, string | number> = {
      ...securityHeaders,
      'content-type': type,
      'content-length': size,
      'cache-control': type.startsWith('text/html') ? 'no-store' : 'private, max-age=3600',
    }
    if (type.startsWith('text/html')) headers['content-security-policy'] = serverContentSecurityPolicy
    res.writeHead(200, headers)
    if (req.method === 'HEAD') res.end()
    else createReadStream(file).pipe(res)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    try {
      if (!hostAllowed(req)) {
        throw new HttpError(403, {
          code: 'INVALID_ARGUMENT',
          message: 'This server only answers requests addressed to localhost',
        })
      }
      if (url.pathname.startsWith('/s/')) {
        // The app's files and images, opened by the app key in the path.
        const key = url.pathname.slice(3, 3 + appKey.length)
        if (!url.pathname.startsWith(appPrefix) || !sameSecret(key, appKey))
          throw new HttpError(401, {
            code: 'INVALID_ARGUMENT',
            message: 'This link to ModelBench is out of date; open the URL the server printed',
          })
        const rest = url.pathname.slice(appPrefix.length)
        if (rest.startsWith('media/')) serveMedia(res, rest)
        else serveStatic(req, res, rest)
        return
      }
      const given = tokenOf(req, url)
      if (given === undefined || !sameSecret(given, token)) {
        if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
          res.writeHead(401, { ...securityHeaders, 'content-type': 'text/html; charset=utf-8' })
          res.end(unauthorizedPage)
          return
        }
        throw new HttpError(401, { code: 'INVALID_ARGUMENT', message: 'Missing or wrong access token' })
      }
      if (url.pathname === '/api/events') {
        if (req.method !== 'GET')
          throw new HttpError(405, { code: 'INVALID_ARGUMENT', message: 'Use GET for /api/events' })
        handleEvents(req, res)
        return
      }
      if (url.pathname.startsWith('/upload/')) {
        await handleUpload(req, res, url)
        return
      }
      if (url.pathname.startsWith('/media/')) {
        serveMedia(res, url.pathname.slice(1))
        return
      }
      if (url.pathname.startsWith('/download/exports/')) {
        serveExportZip(req, res, url.pathname.slice('/download/exports/'.length))
        return
      }
      if (url.pathname.startsWith('/api/')) {
        await handleApi(req, res, url.pathname.slice('/api/'.length))
        return
      }
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new HttpError(405, { code: 'INVALID_ARGUMENT', message: `${req.method} is not allowed here` })
      // Opened with the token: on to the app under its key, keeping the token once for the page to take
      // (the browser keeps any #fragment across the redirect, so deep links survive).
      res.writeHead(303, { ...securityHeaders, location: `${appPrefix}?token=${token}`, 'cache-control': 'no-store' })
      res.end()
    } catch (err) {
      if (res.headersSent) {
        res.destroy()
        return
      }
      if (err instanceof HttpError) {
        if (err.status === 413) drainAndClose(req, res)
        sendError(res, err.status, err.error)
      } else {
        console.error('modelbench: request failed:', err)
        sendError(res, 500, { code: 'INTERNAL', message: 'Internal error' })
      }
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res))
  // Keep idle connections longer than Chromium does (it reuses one for up to 5 minutes). With Node's 5 s
  // default the server could close a connection just as the page sent a POST on it, which the browser does
  // not retry: the page said it could not reach the server (CI saw it on a Try it upload).
  server.keepAliveTimeout = 310_000
  server.headersTimeout = 320_000
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolveListen()
    })
  })
  port = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host
  const url = `http://${urlHost}:${port}/`

  return {
    url,
    openUrl: `${url}?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const res of eventStreams) res.end()
        server.close(() => resolveClose())
        server.closeAllConnections()
      }),
  }
}
