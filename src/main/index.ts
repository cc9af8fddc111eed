/**
 * Electron glue: one locked-down window, the core on the app's data directory, IPC looped over the
 * contract. Everything the app does lives in the core; this file only wires it to Electron.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell, utilityProcess } from 'electron'
import { mediaScheme } from '../shared/contract'
import { createCore, type Core } from './core/core'
import { outputTail, type VerifyLauncher } from './core/export/export-service'
import type { TrainerLauncher } from './core/training/launcher'
import type { FromTrainer } from './core/training/protocol'
import { registerIpc } from './ipc'
import { appVersion } from './version'

const here = fileURLToPath(new URL('.', import.meta.url))
const rendererFile = join(here, '../renderer/index.html')
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined

app.setName('ModelBench')
app.enableSandbox()
protocol.registerSchemesAsPrivileged([{ scheme: mediaScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } }])

function isTrustedUrl(url: string): boolean {
  if (devServerUrl) return url.startsWith(devServerUrl)
  try {
    return new URL(url).protocol === 'file:' && fileURLToPath(url) === rendererFile
  } catch {
    return false
  }
}

/** External links open in the user's browser, and only plain http(s) ones. */
function openExternalIfSafe(url: string): void {
  try {
    const parsed = new URL(url)
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') void shell.openExternal(parsed.href)
  } catch {
    // Not a URL: ignore.
  }
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
  if (devServerUrl) void win.loadURL(devServerUrl)
  else void win.loadFile(rendererFile)
  return win
}

function lockDownSession(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
}

/** Training runs in an Electron utility process, so a crash or out-of-memory there leaves the app running. */
const utilityTrainer: TrainerLauncher = () => {
  const child = utilityProcess.fork(join(here, 'trainer.js'), [], { serviceName: 'ModelBench trainer', stdio: 'inherit' })
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
    const child = utilityProcess.fork(join(here, 'verify-export.js'), [jobFile, resultFile], { serviceName: 'ModelBench export check', stdio: 'pipe' })
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
      dialog.showErrorBox('ModelBench cannot open its data', err instanceof Error ? err.message : String(err))
      app.exit(1)
      return
    }
    const media = core
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
