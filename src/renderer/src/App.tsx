/**
 * The app shell: sidebar navigation, the current project, the page, toasts and global shortcuts.
 * Sets `data-app-state` on <html> ("loading", "ready" or "error") for tests and for the user.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { AppInfo, Project } from '../../shared/contract'
import { actions, isTyping } from './actions'
import { api, type ConnectionState } from './api'
import { Toast, type ToastState } from './components/Toast'
import { OpenProjectFirst } from './pages/EmptyStates'
import { pageFromHash, pages, PageView, type PageId, type ShellContext } from './routes'
import { useProjects } from './useProjects'
import { messageOf } from '../../shared/messages'

function setAppState(state: 'loading' | 'ready' | 'error'): void {
  document.documentElement.dataset.appState = state
}

export function App(): React.JSX.Element {
  const [info, setInfo] = useState<AppInfo | null>(null)
  const [fatal, setFatal] = useState<string | null>(null)
  const [page, setPage] = useState<PageId>(() => pageFromHash(window.location.hash))
  const [toast, setToast] = useState<ToastState | null>(null)
  const [connection, setConnection] = useState<ConnectionState>('connected')
  const undoRef = useRef<(() => Promise<void>) | null>(null)
  const [focusNewProject, setFocusNewProject] = useState(0)
  const { projects, error: listError, refresh: refreshProjects } = useProjects(info !== null)

  useEffect(() => {
    setAppState('loading')
    api
      .call('app.getInfo', {})
      .then(setInfo)
      .catch((err: unknown) => {
        setFatal(messageOf(err))
        setAppState('error')
      })
    return api.onConnection(setConnection)
  }, [])

  useEffect(() => {
    if (!info || !projects) return
    // Start where the user left off: the open project's data, or the project list.
    if (!window.location.hash && projects.some((p) => p.openedAt !== null)) window.location.hash = '#/data'
    setAppState('ready')
  }, [info, projects])

  useEffect(() => {
    const onHash = (): void => setPage(pageFromHash(window.location.hash))
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])

  // The project worked in last (recorded in the database, so it survives restarts and changes of shell).
  const current: Project | null =
    projects?.reduce<Project | null>(
      (best, p) => (p.openedAt !== null && (best === null || p.openedAt > (best.openedAt ?? 0)) ? p : best),
      null,
    ) ?? null

  const go = useCallback((id: PageId) => {
    window.location.hash = `#/${id}`
  }, [])

  const showMessage = useCallback((message: string) => setToast({ kind: 'info', message }), [])
  const setUndo = useCallback((undo: (() => Promise<void>) | null) => {
    undoRef.current = undo
  }, [])

  const showError = useCallback((err: unknown) => {
    setToast({ kind: 'error', message: messageOf(err) })
  }, [])

  const openProject = useCallback(
    async (project: Project) => {
      try {
        await api.call('projects.open', { id: project.id })
        // Move on once the list knows this project is open, so the Data page never shows a stale project.
        await refreshProjects()
        go('data')
      } catch (err) {
        showError(err)
      }
    },
    [go, showError, refreshProjects],
  )

  const deleteProject = useCallback(
    async (project: Project) => {
      await api.call('projects.delete', { id: project.id })
      const undo = async (): Promise<void> => {
        undoRef.current = null
        try {
          await api.call('projects.restore', { id: project.id })
          setToast({ kind: 'info', message: `Restored “${project.name}”` })
        } catch (err) {
          showError(err)
        }
      }
      undoRef.current = undo
      setToast({
        kind: 'info',
        message: `Deleted “${project.name}”`,
        action: { label: 'Undo', keys: actions.undo.keys, run: () => void undo() },
      })
    },
    [showError],
  )

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (actions.newProject.keyTest(e)) {
        e.preventDefault()
        go('projects')
        setFocusNewProject((n) => n + 1)
      } else if (actions.undo.keyTest(e) && !isTyping(e) && undoRef.current) {
        e.preventDefault()
        void undoRef.current()
      } else if (actions.goToPage.keyTest(e)) {
        const target = pages[Number(e.code.slice(5)) - 1]
        if (target) {
          e.preventDefault()
          go(target.id)
        }
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [go])

  if (fatal) {
    return (
      <div className="fatal" role="alert" data-testid="fatal-error">
        <h1>ModelBench cannot start</h1>
        <p>{fatal}</p>
        <button className="button primary" onClick={() => window.location.reload()}>
          Try again
        </button>
      </div>
    )
  }

  const pageInfo = pages.find((p) => p.id === page) ?? pages[0]!

  const shell: ShellContext = {
    projects,
    currentId: current?.id ?? null,
    focusNewProject,
    openProject,
    deleteProject,
    onError: showError,
    onMessage: showMessage,
    setUndo,
    go,
  }

  return (
    <div className="shell">
      {/* The first Tab stop: past the sidebar to the page. A button-like link, not href="#main": the hash is the route. */}
      <a
        href="#/"
        className="skip-link"
        data-testid="skip-link"
        onClick={(e) => {
          e.preventDefault()
          document.getElementById('main')?.focus()
        }}
      >
        Skip to main content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>ModelBench</span>
        </div>
        <div className="current-project" data-testid="current-project">
          <span className="muted small">Project</span>
          <span className="current-project-name">{current ? current.name : 'None open'}</span>
        </div>
        <ul className="nav">
          {pages.map((p, i) => (
            <li key={p.id}>
              <a
                href={`#/${p.id}`}
                className={p.id === page ? 'nav-link active' : 'nav-link'}
                aria-current={p.id === page ? 'page' : undefined}
                data-testid={`nav-${p.id}`}
                title={`${p.label} (Alt+${i + 1})`}
              >
                <span>{p.label}</span>
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot muted small" data-testid="app-info">
          {info ? (
            <>
              <div>
                v{info.version} · {info.shell === 'electron' ? 'desktop' : 'browser'}
              </div>
              <div className="data-dir" title={info.dataDir}>
                {info.dataDir}
              </div>
            </>
          ) : (
            'Connecting…'
          )}
        </div>
      </nav>
      <main className="content" id="main" tabIndex={-1}>
        {connection === 'reconnecting' && (
          <div className="banner warning" role="status" data-testid="connection-banner">
            Lost the connection to the ModelBench server — reconnecting…
          </div>
        )}
        {listError && (
          <div className="banner error" role="alert">
            Could not load projects: {listError}
          </div>
        )}
        {pageInfo.needsProject && !current ? (
          <OpenProjectFirst page={pageInfo} onGoToProjects={() => go('projects')} />
        ) : (
          <PageView page={pageInfo} shell={shell} project={current} />
        )}
      </main>
      {toast && <Toast toast={toast} onClose={() => setToast(null)} />}
    </div>
  )
}
