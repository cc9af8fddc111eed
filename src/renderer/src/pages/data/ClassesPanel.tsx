/** The classes of a dataset: add, rename (double-click), recolour, merge and delete, with counts and key hints. */
import { useState } from 'react'
import type { ClassInfo, SampleFilter } from '../../../../shared/contract'
import { api } from '../../api'
import { keyOfClass, unkeyedNote } from '../../class-keys'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { messageOf } from '../../../../shared/messages'

interface Props {
  datasetId: string
  classes: ClassInfo[]
  unlabeled: number
  filter: SampleFilter
  onFilter: (f: SampleFilter) => void
  onError: (err: unknown) => void
  readOnly: boolean
}

export function ClassesPanel({
  datasetId,
  classes,
  unlabeled,
  filter,
  onFilter,
  onError,
  readOnly,
}: Props): React.JSX.Element {
  const [name, setName] = useState('')
  const [addError, setAddError] = useState<string | null>(null)
  const [renaming, setRenaming] = useState<number | null>(null)
  const [deleting, setDeleting] = useState<ClassInfo | null>(null)
  const [merging, setMerging] = useState<ClassInfo | null>(null)

  async function add(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    try {
      await api.call('classes.create', { datasetId, name })
      setName('')
      setAddError(null)
    } catch (err) {
      setAddError(messageOf(err))
    }
  }

  const active = (f: SampleFilter): boolean => JSON.stringify(f) === JSON.stringify(filter)

  return (
    <aside className="panel classes-panel" aria-label="Classes" data-testid="classes-panel">
      <h2>Classes</h2>
      <ul className="class-list">
        {classes.map((c) => (
          <li
            key={c.id}
            className={active({ kind: 'class', classId: c.id }) ? 'class-item active' : 'class-item'}
            data-testid="class-item"
          >
            {keyOfClass(classes, c.id) !== null ? (
              <kbd title={`Press ${keyOfClass(classes, c.id)} to label with ${c.name}`} data-testid="class-key">
                {keyOfClass(classes, c.id)}
              </kbd>
            ) : (
              <span className="kbd-gap" />
            )}
            <label className="swatch" style={{ background: c.color }} title="Change colour">
              <input
                type="color"
                value={c.color}
                disabled={readOnly}
                onChange={(e) =>
                  void api.call('classes.update', { classId: c.id, color: e.target.value }).catch(onError)
                }
                aria-label={`Colour of ${c.name}`}
              />
            </label>
            {renaming === c.id ? (
              <RenameClass cls={c} onDone={() => setRenaming(null)} />
            ) : (
              <button
                className="class-name"
                onClick={() => onFilter({ kind: 'class', classId: c.id })}
                onDoubleClick={() => !readOnly && setRenaming(c.id)}
                title="Show this class (double-click to rename)"
              >
                {c.name}
              </button>
            )}
            <span className="count" data-testid="class-count">
              {c.count.toLocaleString()}
            </span>
            {!readOnly && (
              <span className="class-actions">
                <button
                  className="button icon"
                  title="Rename"
                  aria-label={`Rename ${c.name}`}
                  onClick={() => setRenaming(c.id)}
                >
                  ✎
                </button>
                {classes.length > 1 && (
                  <button
                    className="button icon"
                    title="Merge into another class"
                    aria-label={`Merge ${c.name}`}
                    onClick={() => setMerging(c)}
                  >
                    ⇢
                  </button>
                )}
                <button
                  className="button icon"
                  title="Delete class"
                  aria-label={`Delete ${c.name}`}
                  onClick={() => setDeleting(c)}
                >
                  ×
                </button>
              </span>
            )}
          </li>
        ))}
        <li className={active({ kind: 'unlabeled' }) ? 'class-item active' : 'class-item'}>
          <kbd>⌫</kbd>
          <span className="swatch empty" />
          <button
            className="class-name muted"
            onClick={() => onFilter({ kind: 'unlabeled' })}
            data-testid="filter-unlabeled-side"
          >
            Unlabeled
          </button>
          <span className="count">{unlabeled.toLocaleString()}</span>
        </li>
      </ul>
      {unkeyedNote(classes) && <p className="muted small">{unkeyedNote(classes)}</p>}
      {!readOnly && (
        <form className="add-class" onSubmit={(e) => void add(e)}>
          <input
            value={name}
            onChange={(e) => {
              setName(e.target.value)
              setAddError(null)
            }}
            placeholder="New class name"
            aria-label="New class name"
            maxLength={80}
            data-testid="new-class-name"
          />
          <button className="button" type="submit" disabled={!name.trim()}>
            Add
          </button>
          {addError && (
            <p className="field-error" role="alert">
              {addError}
            </p>
          )}
        </form>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete class “${deleting.name}”?`}
          body={<p>Its {deleting.count.toLocaleString()} examples become unlabeled. The images stay in the dataset.</p>}
          confirmLabel="Delete class"
          danger
          onConfirm={async () => {
            await api.call('classes.delete', { classId: deleting.id })
            if (active({ kind: 'class', classId: deleting.id })) onFilter({ kind: 'all' })
          }}
          onClose={() => setDeleting(null)}
        />
      )}
      {merging && (
        <MergeDialog
          source={merging}
          classes={classes}
          onClose={() => setMerging(null)}
          onMerged={() => onFilter({ kind: 'all' })}
        />
      )}
    </aside>
  )
}

function RenameClass({ cls, onDone }: { cls: ClassInfo; onDone: () => void }): React.JSX.Element {
  const [name, setName] = useState(cls.name)
  const [error, setError] = useState<string | null>(null)
  return (
    <form
      className="rename-class"
      onSubmit={(e) => {
        e.preventDefault()
        api.call('classes.update', { classId: cls.id, name }).then(onDone, (err: unknown) => setError(messageOf(err)))
      }}
    >
      <input
        autoFocus
        value={name}
        maxLength={80}
        onChange={(e) => setName(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && onDone()}
        aria-label={`New name for ${cls.name}`}
        aria-invalid={error !== null}
      />
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  )
}

function MergeDialog({
  source,
  classes,
  onClose,
  onMerged,
}: {
  source: ClassInfo
  classes: ClassInfo[]
  onClose: () => void
  onMerged: () => void
}): React.JSX.Element {
  const others = classes.filter((c) => c.id !== source.id)
  const [target, setTarget] = useState(others[0]?.id ?? 0)
  return (
    <ConfirmDialog
      title={`Merge “${source.name}” into another class`}
      body={
        <>
          <p>
            Its {source.count.toLocaleString()} examples move to the class you choose, and “{source.name}” is removed.
          </p>
          <select value={target} onChange={(e) => setTarget(Number(e.target.value))} aria-label="Merge into">
            {others.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </>
      }
      confirmLabel="Merge"
      onConfirm={async () => {
        await api.call('classes.merge', { sourceId: source.id, targetId: target })
        onMerged()
      }}
      onClose={onClose}
    />
  )
}
