/**
 * Starting an import: a path typed or pasted, files or a folder picked, or (from the Data page) dropped;
 * CSV/TSV files go through a preview where the user picks the column to predict. Also offers the samples.
 */
import { useRef, useState } from 'react'
import type { TablePreview, Task } from '../../../../shared/contract'
import { api, type PickedFiles } from '../../api'
import { fromFileList, narrowed, routePicked, tableFile, tablesRefused } from '../../picked-files'
import { messageOf } from '../../../../shared/messages'
import { Modal } from '../../components/Modal'

interface ImporterOptions {
  projectId: string
  /** Table projects only take tables, image projects only images; null for a new project. */
  kind: 'image' | 'table' | null
  onStarted: () => void
  onError: (err: unknown) => void
  /** What a mixed pick or drop did with the files it did not import. */
  onMessage?: (message: string) => void
}

/**
 * Starts imports from typed paths and from picked or dropped files, routed by kind (a table goes to the
 * preview, images to the image import); `dialog` is the table preview to render while one is open.
 */
export function useImporter({ projectId, kind, onStarted, onError, onMessage }: ImporterOptions): {
  busy: string | null
  run: (label: string, work: () => Promise<void>) => Promise<void>
  importPaths: (paths: string[]) => Promise<void>
  importPicked: (picked: PickedFiles) => Promise<void>
  dialog: React.JSX.Element | null
} {
  const [busy, setBusy] = useState<string | null>(null)
  const [preview, setPreview] = useState<TablePreview | null>(null)

  async function importPaths(paths: string[]): Promise<void> {
    if (paths.length === 1 && tableFile.test(paths[0]!)) {
      if (kind === 'image') throw new Error(tablesRefused(paths[0]!))
      setPreview(await api.call('datasets.previewTable', { path: paths[0]! }))
      return
    }
    await api.call('datasets.importImages', { projectId, paths })
    onStarted()
  }

  async function run(label: string, work: () => Promise<void>): Promise<void> {
    setBusy(label)
    try {
      await work()
    } catch (err) {
      onError(err)
    } finally {
      setBusy(null)
    }
  }

  async function importPicked(picked: PickedFiles): Promise<void> {
    await run('Copying files…', async () => {
      const route = routePicked(await picked.entries(), kind)
      if (route.action === 'refuse') throw new Error(route.message)
      const paths = await api.pathsForFiles(
        narrowed(picked, route.action === 'table' ? [route.table] : route.files),
        (done, total) => setBusy(`Copying files… ${done} of ${total}`),
      )
      if (route.action === 'table') setPreview(await api.call('datasets.previewTable', { path: paths[0]! }))
      else {
        await api.call('datasets.importImages', { projectId, paths })
        onStarted()
      }
      if (route.note) onMessage?.(route.note)
    })
  }

  const dialog = preview ? (
    <TablePreviewDialog
      preview={preview}
      onClose={() => setPreview(null)}
      onImport={async (targetColumn, task, columnTypes) => {
        await api.call('datasets.importTable', { projectId, path: preview.path, targetColumn, task, columnTypes })
        setPreview(null)
        onStarted()
      }}
    />
  ) : null
  return { busy, run, importPaths, importPicked, dialog }
}

interface Props extends ImporterOptions {
  onSample?: (sample: 'digits' | 'iris') => void
}

export function ImportPanel({ projectId, kind, onStarted, onError, onMessage, onSample }: Props): React.JSX.Element {
  const [path, setPath] = useState('')
  const { busy, run, importPaths, importPicked, dialog } = useImporter({
    projectId,
    kind,
    onStarted,
    onError,
    ...(onMessage ? { onMessage } : {}),
  })
  const filesInput = useRef<HTMLInputElement>(null)
  const folderInput = useRef<HTMLInputElement>(null)

  return (
    <div className="import-panel" data-testid="import-panel">
      <form
        className="import-path"
        onSubmit={(e) => {
          e.preventDefault()
          void run('Starting…', () => importPaths([path.trim()]))
        }}
      >
        <label htmlFor="import-path">Folder or file on this computer</label>
        <div className="row">
          <input
            id="import-path"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder={
              kind === 'table' ? '/home/me/data/measurements.csv' : '/home/me/Pictures/pets  (a folder per class)'
            }
            data-testid="import-path"
          />
          <button
            className="button primary"
            type="submit"
            disabled={!path.trim() || busy !== null}
            data-testid="import-start"
          >
            Import
          </button>
        </div>
      </form>
      <div className="row">
        <button className="button" onClick={() => filesInput.current?.click()} disabled={busy !== null}>
          Choose files…
        </button>
        {kind !== 'table' && (
          <button className="button" onClick={() => folderInput.current?.click()} disabled={busy !== null}>
            Choose a folder…
          </button>
        )}
        <span className="muted small">or drop files or a folder anywhere on this page</span>
        <input
          ref={filesInput}
          data-testid="import-files-input"
          type="file"
          multiple
          hidden
          accept={kind === 'table' ? '.csv,.tsv,.txt' : kind === 'image' ? 'image/*' : 'image/*,.csv,.tsv'}
          onChange={(e) =>
            e.target.files && void importPicked(fromFileList(e.target.files)).finally(() => (e.target.value = ''))
          }
        />
        <input
          ref={folderInput}
          data-testid="import-folder-input"
          type="file"
          hidden
          webkitdirectory=""
          onChange={(e) =>
            e.target.files && void importPicked(fromFileList(e.target.files)).finally(() => (e.target.value = ''))
          }
        />
      </div>
      <p className="muted small">
        Images: a folder with one subfolder per class (<code>cats/</code>, <code>dogs/</code>), optionally inside{' '}
        <code>train/</code> and <code>test/</code>; or a folder of unlabeled images. Tables: a CSV or TSV file with a
        header row.
      </p>
      {busy && (
        <p className="muted" role="status">
          {busy}
        </p>
      )}
      {onSample && (
        <div className="samples">
          <span className="muted">No data at hand? Start from a sample project:</span>
          <button className="button" onClick={() => onSample('digits')} data-testid="sample-digits">
            Handwritten digits
          </button>
          <button className="button" onClick={() => onSample('iris')} data-testid="sample-iris">
            Iris flowers
          </button>
        </div>
      )}
      {dialog}
    </div>
  )
}

function TablePreviewDialog({
  preview,
  onClose,
  onImport,
}: {
  preview: TablePreview
  onClose: () => void
  onImport: (target: string, task: Task, columnTypes: Record<string, 'numeric' | 'categorical'>) => Promise<void>
}): React.JSX.Element {
  const [target, setTarget] = useState(preview.suggestedTarget ?? preview.columns[0]?.name ?? '')
  const [task, setTask] = useState<Task>(preview.suggestedTask)
  const [error, setError] = useState<string | null>(null)
  // Types the user changed; the rest stay as detected.
  const [types, setTypes] = useState<Record<string, 'numeric' | 'categorical'>>({})
  const typeOf = (c: TablePreview['columns'][number]): 'numeric' | 'categorical' => types[c.name] ?? c.type
  const targetColumn = preview.columns.find((c) => c.name === target)
  const delimiterName =
    { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' }[preview.delimiter] ?? `“${preview.delimiter}”`
  return (
    <Modal className="dialog wide" testId="table-preview" labelledBy="table-preview-title" onClose={onClose}>
      <h2 id="table-preview-title">Import {preview.path.split(/[\\/]/).pop()}</h2>
      <p className="muted small">
        {preview.rowCount.toLocaleString()} rows · {delimiterName}-separated ·{' '}
        {preview.hasHeader ? 'header row found' : 'no header row: columns are numbered'} ·{' '}
        <span data-testid="table-encoding">{preview.encoding}</span>
      </p>
      {preview.warnings.length > 0 && (
        <ul className="stack-warning table-warnings" role="alert" data-testid="table-warnings">
          {preview.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <div className="table-scroll">
        <table className="preview-table">
          <thead>
            <tr>
              {preview.columns.map((c) => (
                <th
                  key={c.name}
                  className={c.name === target ? 'target' : ''}
                  data-testid="table-column"
                  data-type={typeOf(c)}
                >
                  {c.name}
                  <select
                    className="inline-select"
                    value={typeOf(c)}
                    aria-label={`Type of ${c.name}`}
                    title={c.reason}
                    onChange={(e) => setTypes({ ...types, [c.name]: e.target.value as 'numeric' | 'categorical' })}
                    data-testid={`column-type-${c.name}`}
                  >
                    <option value="numeric">numeric</option>
                    <option value="categorical">categorical</option>
                  </select>
                  <span className="muted small column-reason">
                    {types[c.name] ? 'your choice' : c.reason}
                    {c.missing > 0 && !types[c.name] ? ` · ${c.missing} missing` : ''}
                  </span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.rows.slice(0, 8).map((r, i) => (
              <tr key={i}>
                {r.map((cell, j) => (
                  <td key={j}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {preview.problems.length > 0 && (
        <details className="problems">
          <summary>{preview.problems.length} rows will be skipped</summary>
          <ul>
            {preview.problems.slice(0, 50).map((p) => (
              <li key={p.rowNumber}>{p.reason}</li>
            ))}
          </ul>
        </details>
      )}
      <div className="row">
        <label>
          Column to predict{' '}
          <select value={target} onChange={(e) => setTarget(e.target.value)} data-testid="target-column">
            {preview.columns.map((c) => (
              <option key={c.name}>{c.name}</option>
            ))}
          </select>
        </label>
        <label>
          Task{' '}
          <select value={task} onChange={(e) => setTask(e.target.value as Task)} data-testid="target-task">
            <option value="classification">Classification (pick a class)</option>
            <option value="regression" disabled={!targetColumn || typeOf(targetColumn) !== 'numeric'}>
              Regression (predict a number)
            </option>
          </select>
        </label>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button className="button" onClick={onClose}>
          Cancel
        </button>
        <button
          className="button primary"
          data-testid="table-import"
          onClick={() => onImport(target, task, types).catch((err: unknown) => setError(messageOf(err)))}
        >
          Import table
        </button>
      </div>
    </Modal>
  )
}
