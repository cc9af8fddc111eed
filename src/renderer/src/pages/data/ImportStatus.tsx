/** A running import's progress bar (count, rate, time left, Cancel) and, once it ends, its report. */
import { useEffect, useState } from 'react'
import type { EventPayload, ImportInfo, ImportIssue } from '../../../../shared/contract'
import { api } from '../../api'
import { messageOf } from '../../../../shared/messages'
import { Modal } from '../../components/Modal'

export type Progress = EventPayload<'import.progressed'>

function formatEta(seconds: number | null): string {
  if (seconds === null) return 'estimating time left…'
  if (seconds < 60) return `about ${Math.max(1, seconds)} s left`
  const m = Math.floor(seconds / 60)
  return `about ${m} min ${seconds % 60} s left`
}

export function ImportProgressBar({
  progress,
  onCancel,
}: {
  progress: Progress
  onCancel: () => void
}): React.JSX.Element {
  const pct = progress.total > 0 ? (100 * progress.processed) / progress.total : 0
  return (
    <div className="import-progress" role="status" data-testid="import-progress">
      <div className="row">
        <strong>
          {progress.total > 0
            ? `Importing ${progress.processed.toLocaleString()} of ${progress.total.toLocaleString()}`
            : 'Preparing the import…'}
        </strong>
        <span className="muted small">
          {progress.ratePerSecond > 0 ? `${progress.ratePerSecond.toLocaleString()} per second · ` : ''}
          {formatEta(progress.etaSeconds)}
          {progress.duplicates + progress.skipped > 0 &&
            ` · ${progress.duplicates} duplicates, ${progress.skipped} skipped`}
        </span>
        <button className="button" onClick={onCancel} data-testid="import-cancel">
          Cancel
        </button>
      </div>
      <progress max={100} value={pct} aria-label="Import progress" />
    </div>
  )
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`
}

/** "ignored: 3 hidden or system files, 2 empty folders", or null when nothing was passed over. */
export function ignoredText(info: ImportInfo): string | null {
  const parts = [
    info.ignored.hiddenFiles > 0 && plural(info.ignored.hiddenFiles, 'hidden or system file', 'hidden or system files'),
    info.ignored.emptyFolders > 0 && plural(info.ignored.emptyFolders, 'empty folder', 'empty folders'),
  ].filter(Boolean)
  return parts.length > 0 ? `ignored: ${parts.join(', ')}` : null
}

export function ImportSummary({
  info,
  onShowReport,
}: {
  info: ImportInfo
  onShowReport: () => void
}): React.JSX.Element {
  const verb = {
    completed: 'Imported',
    cancelled: 'Cancelled after importing',
    failed: 'Import failed after',
    interrupted: 'Interrupted after importing',
    running: 'Importing',
  }[info.status]
  const problems = info.duplicates + info.skipped
  const ignored = ignoredText(info)
  const notes = problems + info.unlabeledLoose + info.ignored.hiddenFiles + info.ignored.emptyFolders
  return (
    <div
      className={`banner ${info.status === 'failed' ? 'error' : problems > 0 ? 'warning' : 'info'}`}
      data-testid="import-summary"
    >
      {verb} {info.kind === 'table' ? plural(info.imported, 'row', 'rows') : plural(info.imported, 'image', 'images')}
      {info.duplicates > 0 && ` · ${plural(info.duplicates, 'duplicate', 'duplicates')} not stored again`}
      {info.skipped > 0 && ` · ${info.skipped.toLocaleString()} skipped`}
      {info.unlabeledLoose > 0 &&
        ` · ${plural(info.unlabeledLoose, 'image', 'images')} outside the class folders imported unlabeled`}
      {ignored && ` · ${ignored}`}
      {info.error && ` — ${info.error}`}
      {notes > 0 && (
        <button className="button link" onClick={onShowReport} data-testid="show-report">
          View report
        </button>
      )}
    </div>
  )
}

export function ImportReportDialog({ info, onClose }: { info: ImportInfo; onClose: () => void }): React.JSX.Element {
  const [issues, setIssues] = useState<ImportIssue[]>([])
  const [total, setTotal] = useState(0)
  const [error, setError] = useState<string | null>(null)

  function load(offset: number): void {
    api.call('imports.listIssues', { importId: info.id, offset, limit: 200 }).then(
      (page) => {
        setIssues((old) => [...old.slice(0, offset), ...page.items])
        setTotal(page.total)
      },
      (err: unknown) => setError(messageOf(err)),
    )
  }
  useEffect(() => load(0), [info.id]) // eslint-disable-line react-hooks/exhaustive-deps
  const ignored = ignoredText(info)

  return (
    <Modal className="dialog wide" testId="import-report" labelledBy="import-report-title" onClose={onClose}>
      <h2 id="import-report-title">Import report</h2>
      <p className="muted small">
        {info.source} · {info.imported.toLocaleString()} imported, {info.duplicates.toLocaleString()} duplicates,{' '}
        {info.skipped.toLocaleString()} skipped
        {info.unlabeledLoose > 0 && `, ${info.unlabeledLoose.toLocaleString()} unlabeled (outside the class folders)`}
        {ignored && ` · ${ignored}`}
      </p>
      {error && <p className="field-error">{error}</p>}
      <div className="table-scroll">
        <table className="report-table">
          <thead>
            <tr>
              <th>File</th>
              <th>What happened</th>
            </tr>
          </thead>
          <tbody>
            {issues.map((i, n) => (
              <tr key={n} className={i.kind}>
                <td className="path">
                  {i.path}
                  {i.rowNumber !== null && ` (row ${i.rowNumber})`}
                </td>
                <td>
                  <span className={`tag ${i.kind}`}>{i.kind === 'warning' ? 'note' : i.kind}</span> {i.reason}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="dialog-actions">
        {issues.length < total && (
          <button className="button" onClick={() => load(issues.length)}>
            Show more ({(total - issues.length).toLocaleString()} left)
          </button>
        )}
        <button className="button primary" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </Modal>
  )
}
