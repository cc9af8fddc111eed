/** The projects page: create, open, rename (inline) and delete (with confirmation and undo). */
import { useEffect, useRef, useState, type RefObject } from 'react'
import type { Project } from '../../../shared/contract'
import { actions } from '../actions'
import { api } from '../api'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { messageOf } from '../../../shared/messages'

interface Props {
  projects: Project[] | null
  currentId: string | null
  /** Bumped by the New-project shortcut: focus the name field. */
  focusRequest: number
  onOpen: (project: Project) => Promise<void>
  onDelete: (project: Project) => Promise<void>
  onError: (err: unknown) => void
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

export function ProjectsPage({
  projects,
  currentId,
  focusRequest,
  onOpen,
  onDelete,
  onError,
}: Props): React.JSX.Element {
  const newProjectInput = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (focusRequest > 0) newProjectInput.current?.focus()
  }, [focusRequest])
  const [confirming, setConfirming] = useState<Project | null>(null)
  const [renamingId, setRenamingId] = useState<string | null>(null)

  return (
    <section className="page" data-testid="page-projects">
      <header className="page-header">
        <h1>Projects</h1>
        <p className="muted">A project holds one dataset, the models you build for it and every training run.</p>
      </header>

      <CreateProjectForm inputRef={newProjectInput} onCreated={onOpen} />
      <div className="samples">
        <span className="muted">New from a sample:</span>
        {(['digits', 'iris'] as const).map((sample) => (
          <button
            key={sample}
            className="button"
            data-testid={`new-sample-${sample}`}
            onClick={() =>
              void api.call('projects.createSample', { sample }).then(({ project }) => onOpen(project), onError)
            }
          >
            {sample === 'digits' ? 'Handwritten digits (10,000 images)' : 'Iris flowers (150 rows)'}
          </button>
        ))}
      </div>

      {projects === null ? (
        <p className="muted" role="status">
          Loading projects…
        </p>
      ) : projects.length === 0 ? (
        <div className="empty-state" data-testid="projects-empty">
          <h2>No projects yet</h2>
          <p>Name your first project above and press Enter. You will then import data, build a model and train it.</p>
        </div>
      ) : (
        <ul className="project-list" data-testid="project-list">
          {projects.map((p) => (
            <li
              key={p.id}
              className={p.id === currentId ? 'project-row current' : 'project-row'}
              data-testid="project-row"
            >
              {renamingId === p.id ? (
                <RenameForm project={p} onDone={() => setRenamingId(null)} />
              ) : (
                <>
                  <button
                    className="project-name"
                    onClick={() => void onOpen(p)}
                    data-testid="project-open"
                    title="Open this project"
                  >
                    {p.name}
                  </button>
                  <span className="muted small project-dates">
                    Created {dateFormat.format(p.createdAt)}
                    {p.updatedAt !== p.createdAt && ` · changed ${dateFormat.format(p.updatedAt)}`}
                  </span>
                  {p.id === currentId && <span className="badge accent">open</span>}
                  <span className="row-actions">
                    <button className="button" onClick={() => void onOpen(p)}>
                      Open
                    </button>
                    <button className="button" onClick={() => setRenamingId(p.id)} data-testid="project-rename">
                      Rename
                    </button>
                    <button
                      className="button danger-outline"
                      onClick={() => setConfirming(p)}
                      data-testid="project-delete"
                    >
                      Delete
                    </button>
                  </span>
                </>
              )}
            </li>
          ))}
        </ul>
      )}

      {confirming && (
        <ConfirmDialog
          title={`Delete “${confirming.name}”?`}
          body={<p>The project disappears from this list. You can undo this right after ({actions.undo.keys}).</p>}
          confirmLabel="Delete project"
          danger
          onConfirm={() => onDelete(confirming)}
          onClose={() => setConfirming(null)}
        />
      )}
    </section>
  )
}

function CreateProjectForm({
  inputRef,
  onCreated,
}: {
  inputRef: RefObject<HTMLInputElement | null>
  onCreated: (p: Project) => Promise<void>
}): React.JSX.Element {
  const [name, setName] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    setBusy(true)
    try {
      const project = await api.call('projects.create', { name })
      setName('')
      setError(null)
      await onCreated(project)
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="create-form" onSubmit={(e) => void submit(e)} noValidate>
      <label htmlFor="new-project-name" className="sr-only">
        New project name
      </label>
      <input
        id="new-project-name"
        ref={inputRef}
        value={name}
        onChange={(e) => {
          setName(e.target.value)
          setError(null)
        }}
        placeholder="New project name, e.g. Cats vs dogs"
        maxLength={120}
        aria-invalid={error !== null}
        aria-describedby={error ? 'new-project-error' : undefined}
        data-testid="new-project-name"
      />
      <button
        className="button primary"
        type="submit"
        disabled={busy}
        data-testid="create-project"
        title={actions.newProject.keys}
      >
        Create project
      </button>
      {error && (
        <p id="new-project-error" className="field-error" role="alert" data-testid="create-error">
          {error}
        </p>
      )}
    </form>
  )
}

function RenameForm({ project, onDone }: { project: Project; onDone: () => void }): React.JSX.Element {
  const [name, setName] = useState(project.name)
  const [error, setError] = useState<string | null>(null)

  async function save(): Promise<void> {
    try {
      await api.call('projects.rename', { id: project.id, name })
      onDone()
    } catch (err) {
      setError(messageOf(err))
    }
  }

  return (
    <form
      className="rename-form"
      onSubmit={(e) => {
        e.preventDefault()
        void save()
      }}
    >
      <label htmlFor={`rename-${project.id}`} className="sr-only">
        New name for {project.name}
      </label>
      <input
        id={`rename-${project.id}`}
        autoFocus
        value={name}
        maxLength={120}
        onChange={(e) => {
          setName(e.target.value)
          setError(null)
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onDone()
        }}
        aria-invalid={error !== null}
        data-testid="rename-input"
      />
      <button className="button primary" type="submit">
        Save
      </button>
      <button className="button" type="button" onClick={onDone}>
        Cancel
      </button>
      {error && (
        <p className="field-error" role="alert" data-testid="rename-error">
          {error}
        </p>
      )}
    </form>
  )
}
