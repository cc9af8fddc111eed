/**
 * Electron glue: one locked-down window, the core on the app's data directory, IPC looped over the
 * contract. Everything the app does lives in the core; this file only wires it to Electron.
 */
import { existsSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell, utilityProcess } from 'electron'
import { mediaScheme } from '../shared/contract'
import { createCore, type Core } from './core/core'
import { outputTail, type VerifyLauncher } from './core/export/export-service'
import type { TrainerLauncher } from './core/training/launcher'
import type { FromTrainer } from './core/training/protocol'
import { registerIpc } from './ipc'
import { appVersion } from './version'
import { messageOf } from '../shared/messages'

const here = fileURLToPath(new URL('.', import.meta.url))
const rendererDir = resolve(here, '../renderer')
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
// The renderer loads from a scheme of its own rather than file://, so no page of ours has file:// rights
// and nothing else on the disk can pose as the app.
const appScheme = 'modelbench-app'
const appOrigin = `${appScheme}://app`

app.setName('ModelBench')
app.enableSandbox()
protocol.registerSchemesAsPrivileged([
  { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: mediaScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } },
])

function isTrustedUrl(url: string): boolean {
  if (devServerUrl) return url.startsWith(devServerUrl)
  try {
    return new URL(url).origin === appOrigin
  } catch {
    return false
  }
}

/** `modelbench-app://app/<path>`: the built renderer's files, and nothing outside its folder. */
function serveAppFile(request: Request): Promise<Response> | Response {
  const url = new URL(request.url)
  const file = resolve(rendererDir, `.${decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)}`)
  if (url.host !== 'app' || !file.startsWith(rendererDir + sep)) return new Response('Not found', { status: 404 })
  return net.fetch(pathToFileURL(file).href)
}

/** External links open in the user's browser, only plain http(s) ones, and only after the user says so. */
function openExternalIfSafe(url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return
  const [win] = BrowserWindow.getAllWindows()
  const options = {
    type: 'question' as const,
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: 'Open this link in your web browser?',
    detail: parsed.href,
  }
  void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options)).then(({ response }) => {
    if (response === 0) void shell.openExternal(parsed.href)
  })
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'ModelBench',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // Middle-click would otherwise open links in a new window, around setWindowOpenHandler.
      disableBlinkFeatures: 'Auxclick',
    },
  })
  win.once('ready-to-show', () => win.show())
  win.webContents.setWindowOpenHandler(({ url }) => {
    openExternalIfSafe(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) {
      event.preventDefault()
      openExternalIfSafe(url)
    }
  })
  win.webContents.on('will-attach-webview', (event) => event.preventDefault())
  void win.loadURL(devServerUrl ?? `${appOrigin}/index.html`)
  return win
}

/**
 * Every permission is refused but one: the app's own page may use the camera (video, no microphone) for
 * "Capture from camera" in the labeler. The operating system still asks the user the first time.
 */
function lockDownSession(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback, details) => {
    const media = details as { mediaTypes?: string[]; requestingUrl?: string }
    const cameraOnly = permission === 'media' && (media.mediaTypes ?? []).every((t) => t === 'video')
    callback(cameraOnly && isTrustedUrl(media.requestingUrl ?? ''))
  })
  session.defaultSession.setPermissionCheckHandler(
    (_wc, permission, origin) => permission === 'media' && isTrustedUrl(`${origin}/`),
  )
}

/** Training runs in an Electron utility process, so a crash or out-of-memory there leaves the app running. */
const utilityTrainer: TrainerLauncher = () => {
  const child = utilityProcess.fork(join(here, 'trainer.js'), [], {
    serviceName: 'ModelBench trainer',
    stdio: 'inherit',
  })
  let exited = false
  return {
    send: (m) => {
      if (!exited) child.postMessage(m)
    },
    onMessage: (l) => child.on('message', (m: unknown) => l(m as FromTrainer)),
    onExit: (l) =>
      child.once('exit', (code) => {
        exited = true
        l(code, code === 0 ? null : 'killed or crashed')
      }),
    kill: () => void child.kill(),
  }
}

/** The export check runs in a utility process of its own, loading the export with the official runtimes. */
const utilityVerifier: VerifyLauncher = (jobFile, resultFile) =>
  new Promise((resolvePromise) => {
    const child = utilityProcess.fork(join(here, 'verify-export.js'), [jobFile, resultFile], {
      serviceName: 'ModelBench export check',
      stdio: 'pipe',
    })
    const output = outputTail(child)
    child.once('exit', (code) => resolvePromise({ code, output: output() }))
  })

function startCore(): Core {
  // better-sqlite3 built against Electron's ABI, when scripts/start.mjs has prepared one.
  const nativeBinding = join(app.getAppPath(), 'out', 'native', 'better_sqlite3.node')
  return createCore({
    dataDir: app.getPath('userData'),
    shell: 'electron',
    version: appVersion,
    sampleOnFirstStart: true,
    trainer: utilityTrainer,
    verifier: utilityVerifier,
    ...(existsSync(nativeBinding) ? { nativeBinding } : {}),
  })
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  let core: Core | undefined
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows()
    if (win) {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })
  void app.whenReady().then(() => {
    lockDownSession()
    try {
      core = startCore()
    } catch (err) {
      dialog.showErrorBox('ModelBench cannot open its data', messageOf(err))
      app.exit(1)
      return
    }
    const media = core
    protocol.handle(appScheme, serveAppFile)
    protocol.handle(mediaScheme, (request) => {
      const url = new URL(request.url)
      const file = media.blobs.mediaPath(url.hostname, url.pathname.slice(1))
      return file ? net.fetch(pathToFileURL(file).href) : new Response('Not found', { status: 404 })
    })
    registerIpc(ipcMain, core, isTrustedUrl, () => BrowserWindow.getAllWindows().map((w) => w.webContents))
    createWindow()
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow()
    })
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  let closing = false
  app.on('will-quit', (event) => {
    // Let running imports finish their current batch and close the database before the process ends.
    if (!core || closing) return
    closing = true
    event.preventDefault()
    void core.close().finally(() => app.quit())
  })
}
