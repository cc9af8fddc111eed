/**
 * The Export page: choose a completed run, the formats and a folder; the export runs with a progress bar,
 * then each format shows whether its own runtime, loaded in a separate process, predicted the same as the
 * app. Earlier exports are listed with their outcome.
 */
import { useCallback, useEffect, useState } from 'react'
import type { Project } from '../../../../shared/contract'
import {
  exportFormatInfo,
  exportFormatNames,
  exportFormats,
  verifyInputCount,
  verifyTolerance,
  type ExportFormat,
  type ExportFormatResult,
  type ExportRecord,
} from '../../../../shared/export'
import type { RunSummary } from '../../../../shared/training'
import { api } from '../../api'
import { bestRun } from './best-run'
import { formatDuration, percent } from '../../format'
import { useApiEvent } from '../../useApiEvent'
import { messageOf } from '../../../../shared/messages'

interface Props {
  project: Project
  onError: (err: unknown) => void
}

/** The run asked for in the address (`#/export?run=<id>`), when there is one. */
function runFromHash(): string | null {
  return new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('run')
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

export function ExportPage({ project, onError }: Props): React.JSX.Element {
  const [runs, setRuns] = useState<RunSummary[] | null>(null)
  const [runId, setRunId] = useState<string>('')
  const [preselected, setPreselected] = useState<{ run: RunSummary; reason: string } | null>(null)
  const [formats, setFormats] = useState<Record<ExportFormat, boolean>>(
    () => Object.fromEntries(exportFormats.map((f) => [f, true])) as Record<ExportFormat, boolean>,
  )
  const [dir, setDir] = useState('')
  const [dirEdited, setDirEdited] = useState(false)
  /** Bumped when an export finishes, so the next one is offered a fresh folder. */
  const [exportsDone, setExportsDone] = useState(0)
  const [problem, setProblem] = useState<string | null>(null)
  const [current, setCurrent] = useState<ExportRecord | null>(null)
  const [progress, setProgress] = useState<{ fraction: number; step: string; startedAt: number; at: number } | null>(
    null,
  )
  const [history, setHistory] = useState<ExportRecord[]>([])

  const refreshHistory = useCallback(() => {
    api.call('exports.list', { projectId: project.id }).then(setHistory, onError)
  }, [project.id, onError])

  useEffect(() => {
    api.call('runs.list', { projectId: project.id, limit: 1000 }).then((list) => {
      // Runs a user exports: not a cross-validation parent (no weights of its own), nor one of its folds.
      const done = list.items.filter((r) => r.status === 'completed' && r.folds === null && r.fold === null)
      setRuns(done)
      const wanted = done.find((r) => r.id === runFromHash())
      const best = bestRun(done, percent)
      setPreselected(wanted ? null : best)
      setRunId(wanted?.id ?? best?.run.id ?? '')
    }, onError)
    refreshHistory()
  }, [project.id, onError, refreshHistory])

  // The suggested folder follows the chosen run until the user types one of their own.
  useEffect(() => {
    if (!runId || dirEdited) return
    api.call('exports.defaultDir', { runId }).then((r) => setDir(r.dir), onError)
  }, [runId, dirEdited, exportsDone, onError])

  useApiEvent('exports.progressed', (e) => {
    if (e.exportId !== current?.id) return
    setProgress((p) => {
      const now = Date.now()
      return { fraction: e.fraction, step: e.step, startedAt: p?.startedAt ?? now, at: now }
    })
  })
  useApiEvent('exports.finished', (e) => {
    if (e.projectId !== project.id) return
    refreshHistory()
    if (e.exportId === current?.id) {
      setProgress(null)
      api.call('exports.get', { exportId: e.exportId }).then(setCurrent, onError)
      // The next export goes to a fresh folder.
      setDirEdited(false)
      setExportsDone((n) => n + 1)
    }
  })

  const chosen = (Object.keys(formats) as ExportFormat[]).filter((f) => formats[f])
  const running = current?.status === 'running'
  const command = runId
    ? `modelbench export --run ${runId} ${chosen.map((f) => `--format ${f}`).join(' ')} --out ${shellQuote(dir || '<folder>')}`
    : ''

  async function start(): Promise<void> {
    setProblem(null)
    try {
      const record = await api.call('exports.start', {
        runId,
        formats: chosen,
        ...(dir.trim() ? { dir: dir.trim() } : {}),
      })
      setCurrent(record)
      const now = Date.now()
      setProgress({ fraction: 0, step: 'Starting', startedAt: now, at: now })
    } catch (err) {
      setProblem(messageOf(err))
    }
  }

  if (runs && runs.length === 0) {
    return (
      <section className="page" data-testid="page-export">
        <header className="page-header">
          <h1>Export</h1>
        </header>
        <div className="empty-state" data-testid="export-empty">
          <h2>No finished runs to export yet</h2>
          <p>
            Export turns a completed run into files an app or a service can load — TF.js for the web, ONNX for Python
            and other languages — each checked to predict exactly as ModelBench does. Train a model first.
          </p>
          <a className="button primary" href="#/train">
            Go to the Train page
          </a>
        </div>
      </section>
    )
  }

  const elapsed = progress ? (progress.at - progress.startedAt) / 1000 : 0
  const eta = progress && progress.fraction > 0.05 ? (elapsed / progress.fraction) * (1 - progress.fraction) : null
  return (
    <section className="page" data-testid="page-export">
      <header className="page-header">
        <h1>Export</h1>
        <p className="muted">
          Hand a trained model to an app or a service. Every format is loaded by its own runtime in a separate process
          and must predict the same as ModelBench before it is marked verified.
        </p>
      </header>

      <form
        className="card export-form"
        onSubmit={(e) => {
          e.preventDefault()
          void start()
        }}
      >
        <label className="export-field">
          <span>Run</span>
          <select value={runId} onChange={(e) => setRunId(e.target.value)} disabled={running} data-testid="export-run">
            {(runs ?? []).map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} ·{' '}
                {r.testAccuracy !== null ? `test accuracy ${percent(r.testAccuracy)}` : r.architectureSummary} ·{' '}
                {new Date(r.finishedAt ?? r.createdAt).toLocaleString()}
              </option>
            ))}
          </select>
        </label>
        {preselected && preselected.run.id === runId && (
          <p className="muted small" data-testid="export-preselected">
            Chosen for you: {preselected.run.name}, {preselected.reason}.
          </p>
        )}
        <fieldset className="export-formats" disabled={running}>
          <legend>Formats</legend>
          {exportFormats.map((f) => (
            <label key={f} className="export-format">
              <input
                type="checkbox"
                checked={formats[f]}
                onChange={(e) => setFormats({ ...formats, [f]: e.target.checked })}
                data-testid={`export-format-${f}`}
              />
              <span>
                <strong>{exportFormatInfo[f].title}</strong>
                <span className="muted small"> — {exportFormatInfo[f].description}</span>
              </span>
            </label>
          ))}
          <p className="muted small">
            Every export also holds labels.json, preprocessing.json, MODEL_CARD.md and metadata.json.
          </p>
        </fieldset>
        <label className="export-field">
          <span>Folder</span>
          <input
            value={dir}
            onChange={(e) => {
              setDir(e.target.value)
              setDirEdited(true)
            }}
            disabled={running}
            spellCheck={false}
            aria-invalid={problem !== null}
            data-testid="export-dir"
          />
          <span className="muted small">A new or empty folder; nothing already in it is ever overwritten.</span>
        </label>
        {problem && (
          <p className="field-error" role="alert" data-testid="export-error">
            {problem}
          </p>
        )}
        <div className="row-between">
          <code className="muted small export-command" title="The same export from the command line">
            {command}
          </code>
          <button
            className="button primary"
            type="submit"
            disabled={running || !runId || chosen.length === 0 || dir.trim() === ''}
            data-testid="export-start"
          >
            {running ? 'Exporting…' : 'Export'}
          </button>
        </div>
      </form>

      {running && progress && (
        <div className="import-progress" role="status" data-testid="export-progress">
          <div className="row">
            <span>{progress.step}…</span>
            <span className="muted">
              {Math.round(progress.fraction * 100)}%
              {eta !== null ? ` · about ${formatDuration(Math.max(1, eta))} left` : ''}
            </span>
          </div>
          <progress max={1} value={progress.fraction} />
        </div>
      )}

      {current && current.status !== 'running' && <ExportResult record={current} />}

      {history.length > 0 && (
        <div className="card">
          <h3>Earlier exports</h3>
          <table className="runs-table" data-testid="export-history">
            <thead>
              <tr>
                <th>When</th>
                <th>Run</th>
                <th>Formats</th>
                <th>Check</th>
                <th>Folder</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h) => (
                <tr key={h.id} className={h.id === current?.id ? 'open' : ''}>
                  <td>{new Date(h.createdAt).toLocaleString()}</td>
                  <td>{h.runName}</td>
                  <td>{h.formats.map((f) => exportFormatNames[f]).join(', ')}</td>
                  <td>
                    <StatusBadge status={h.status} />
                  </td>
                  <td className="export-path">
                    <button
                      className="link-button"
                      type="button"
                      onClick={() => setCurrent(h)}
                      title="Show this export's result"
                    >
                      {h.dir}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function StatusBadge({ status }: { status: ExportRecord['status'] }): React.JSX.Element {
  const text = { running: 'exporting', verified: 'verified', unverified: 'not verified', failed: 'failed' }[status]
  return <span className={`badge export-${status}`}>{text}</span>
}

function ExportResult({ record }: { record: ExportRecord }): React.JSX.Element {
  const [copied, setCopied] = useState(false)
  const [zip, setZip] = useState<'idle' | 'busy' | string>('idle')
  const download = api.downloadExport
  return (
    <div className="card export-result" data-testid="export-result">
      <div className="row-between">
        <div>
          <h3>
            {record.status === 'verified'
              ? 'Exported and verified'
              : record.status === 'unverified'
                ? 'Exported, but not verified'
                : 'The export failed'}{' '}
            <StatusBadge status={record.status} />
          </h3>
          <p className="muted small">
            “{record.runName}” → <code data-testid="export-dir-result">{record.dir}</code>
          </p>
        </div>
        <div className="row">
          {download && record.status !== 'failed' && (
            <button
              className="button primary"
              type="button"
              disabled={zip === 'busy'}
              onClick={() => {
                setZip('busy')
                download(record.id).then(
                  () => setZip('idle'),
                  (err: unknown) => setZip(messageOf(err)),
                )
              }}
              data-testid="export-download"
            >
              {zip === 'busy' ? 'Preparing the .zip…' : 'Download (.zip)'}
            </button>
          )}
          <button
            className="button"
            type="button"
            onClick={() =>
              void navigator.clipboard.writeText(record.dir).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? 'Copied' : 'Copy folder path'}
          </button>
        </div>
      </div>
      {zip !== 'idle' && zip !== 'busy' && (
        <p className="field-error" role="alert" data-testid="export-download-error">
          {zip}
        </p>
      )}
      {record.status === 'failed' && (
        <p className="field-error" role="alert">
          {record.error}
        </p>
      )}
      <ul className="export-checks">
        {record.results.map((r) => (
          <FormatCheck key={r.format} result={r} />
        ))}
      </ul>
      {record.status !== 'failed' && (
        <p className="muted small">
          MODEL_CARD.md in the folder describes the model, its data and metrics, and shows how to load it from a web
          page and from Python.
        </p>
      )}
    </div>
  )
}

function FormatCheck({ result: r }: { result: ExportFormatResult }): React.JSX.Element {
  const name = exportFormatNames[r.format]
  return (
    <li className={`export-check ${r.verified ? 'ok' : 'bad'}`} data-testid={`export-check-${r.format}`}>
      <span className="export-mark" aria-hidden="true">
        {r.verified ? '✓' : '✗'}
      </span>
      <div>
        <strong>
          {name}: {r.verified ? 'verified' : 'not verified'}
        </strong>
        {r.verified ? (
          <p className="small">
            Loaded with {r.runtime} in a separate process. On {r.checked} of the dataset&apos;s inputs (test first, up
            to {verifyInputCount})
            {r.sameTop1 !== null ? ` the top class matched ModelBench's ${r.sameTop1} of ${r.checked} times and` : ''}{' '}
            the largest difference was{' '}
            <span data-testid={`export-diff-${r.format}`}>{r.maxDifference?.toExponential(1)}</span> (allowed{' '}
            {verifyTolerance}).
          </p>
        ) : (
          <p className="small field-error">{r.error}</p>
        )}
        <p className="muted small">Files: {r.files.join(', ')}</p>
      </div>
    </li>
  )
}
