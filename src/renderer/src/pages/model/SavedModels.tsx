/** Saved architectures: open one, duplicate it, rename it or delete it (all its versions). */
import { useState } from 'react'
import type { Architecture } from '../../../../shared/contract'
import { api } from '../../api'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { Modal } from '../../components/Modal'

interface Props {
  projectId: string
  saved: Architecture[]
  onOpen: (a: Architecture) => void
  onChanged: () => void
  onClose: () => void
  onError: (err: unknown) => void
}

export function SavedModels({ projectId, saved, onOpen, onChanged, onClose, onError }: Props): React.JSX.Element {
  const [renaming, setRenaming] = useState<string | null>(null)
  const [newName, setNewName] = useState('')
  const [deleting, setDeleting] = useState<string | null>(null)
  // The newest version of each name (the list comes newest first within a name).
  const latest = [...new Map(saved.map((a) => [a.name.toLowerCase(), a] as const)).values()].map((a) =>
    saved.find((x) => x.name.toLowerCase() === a.name.toLowerCase())!,
  )
  const versionsOf = (name: string): number => saved.filter((a) => a.name.toLowerCase() === name.toLowerCase()).length

  const run = (p: Promise<unknown>): void => void p.then(onChanged, onError)

  return (
    <Modal className="dialog wide" testId="saved-models" labelledBy="saved-models-title" onClose={onClose}>
      <h2 id="saved-models-title">Saved models</h2>
      {latest.length === 0 && <p className="muted">Nothing saved yet: name the model and press Save.</p>}
      <ul className="saved-list">
        {latest.map((a) => (
          <li key={a.id}>
            {renaming === a.name ? (
              <form
                className="row"
                onSubmit={(e) => {
                  e.preventDefault()
                  run(
                    api
                      .call('architectures.rename', { projectId, name: a.name, newName })
                      .then(() => setRenaming(null)),
                  )
                }}
              >
                <input autoFocus value={newName} onChange={(e) => setNewName(e.target.value)} aria-label="New name" />
                <button className="button primary" type="submit">
                  Save
                </button>
                <button className="button" type="button" onClick={() => setRenaming(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <>
                <span>
                  <strong>{a.name}</strong>{' '}
                  <span className="muted small">
                    v{a.version}
                    {versionsOf(a.name) > 1 ? ` (${versionsOf(a.name)} versions)` : ''} · {a.spec.layers.length} layers
                  </span>
                </span>
                <span className="row">
                  <button className="button" onClick={() => onOpen(a)}>
                    Open
                  </button>
                  <button
                    className="button"
                    onClick={() =>
                      run(api.call('architectures.save', { projectId, name: `${a.name} copy`, spec: a.spec }))
                    }
                  >
                    Duplicate
                  </button>
                  <button
                    className="button"
                    onClick={() => {
                      setRenaming(a.name)
                      setNewName(a.name)
                    }}
                  >
                    Rename
                  </button>
                  <button className="button danger-outline" onClick={() => setDeleting(a.name)}>
                    Delete
                  </button>
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
      <div className="dialog-actions">
        <button className="button primary" onClick={onClose}>
          Close
        </button>
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete “${deleting}”?`}
          body={<p>All its saved versions go. Runs that used it keep their own copy of the model.</p>}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await api.call('architectures.delete', { projectId, name: deleting })
            onChanged()
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </Modal>
  )
}
