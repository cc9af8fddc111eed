/**
 * The Runs page: every run of the project in a sortable, filterable table; a run's detail; and a
 * comparison of 2–10 selected runs. Deleting is soft and can be undone.
 */
import { useCallback, useEffect, useMemo, useState } from 'react'
import type { ClassInfo, Project } from '../../../../shared/contract'
import type { RunSummary } from '../../../../shared/training'
import { api } from '../../api'
import { useApiEvent } from '../../useApiEvent'
import { Compare } from './Compare'
import { RunDetail } from './RunDetail'
import { formatDuration, percent } from '../../format'
import { roundForPeople, versionName } from '../../../../shared/words'

interface Props {
  project: Project
  onError: (err: unknown) => void
  onMessage: (m: string) => void
}

type SortKey = 'createdAt' | 'name' | 'status' | 'val_accuracy' | 'testAccuracy' | 'duration' | 'learningRate'

const duration = (r: RunSummary): number | null =>
  r.startedAt && r.finishedAt ? (r.finishedAt - r.startedAt) / 1000 : null
const runTime = (r: RunSummary): string => {
  const s = duration(r)
  return s === null ? '—' : formatDuration(s)
}

export function RunsPage({ project, onError, onMessage }: Props): React.JSX.Element {
  const [runs, setRuns] = useState<RunSummary[] | null>(null)
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'createdAt', desc: true })
  const [status, setStatus] = useState('')
  const [versionFilter, setVersionFilter] = useState('')
  const [tagFilter, setTagFilter] = useState('')
  const [architectureFilter, setArchitectureFilter] = useState('')
  const [text, setText] = useState('')
  const [selected, setSelected] = useState<Set<string>>(() => new Set())
  const [open, setOpen] = useState<string | null>(() => new URL(window.location.href).hash.split('/')[2] ?? null)
  const [comparing, setComparing] = useState<string[] | null>(null)
  const [deleted, setDeleted] = useState<{ id: string; name: string } | null>(null)
  const [classes, setClasses] = useState<ClassInfo[]>([])

  const load = useCallback(() => {
    api.call('runs.list', { projectId: project.id, limit: 1000 }).then((r) => setRuns(r.items), onError)
  }, [project.id, onError])
  useEffect(load, [load])
  useEffect(() => {
    api.call('datasets.get', { projectId: project.id }).then((d) => setClasses(d?.classes ?? []), onError)
  }, [project.id, onError])
  useApiEvent('training.statusChanged', (e) => e.projectId === project.id && load())

  const shown = useMemo(() => {
    if (!runs) return []
    const needle = text.trim().toLowerCase()
    const value = (r: RunSummary): number | string => {
      switch (sort.key) {
        case 'val_accuracy':
          return r.latest.val_accuracy ?? -1
        case 'testAccuracy':
          return r.testAccuracy ?? -1
        case 'duration':
          return duration(r) ?? -1
        default:
          return r[sort.key]
      }
    }
    return runs
      .filter((r) => !status || r.status === status)
      .filter((r) => !versionFilter || String(r.datasetVersion) === versionFilter)
      .filter((r) => !tagFilter || r.tags.includes(tagFilter))
      .filter((r) => !architectureFilter || r.architectureSummary === architectureFilter)
      .filter(
        (r) =>
          !needle || `${r.name} ${r.tags.join(' ')} ${r.architectureSummary} ${r.notes}`.toLowerCase().includes(needle),
      )
      .sort((a, b) => {
        const x = value(a)
        const y = value(b)
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))
        return sort.desc ? -c : c
      })
  }, [runs, text, status, versionFilter, tagFilter, architectureFilter, sort])

  const header = (key: SortKey, label: string): React.JSX.Element => (
    <th>
      <button className="sort" onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : true }))}>
        {label}
        {sort.key === key ? (sort.desc ? ' ↓' : ' ↑') : ''}
      </button>
    </th>
  )

  async function remove(runId: string, name: string): Promise<void> {
    try {
      await api.call('runs.delete', { runId })
      setDeleted({ id: runId, name })
      setOpen(null)
      load()
    } catch (err) {
      onError(err)
    }
  }

  return (
    <section className="page runs-page" data-testid="page-runs">
      <header className="page-header">
        <h1>Runs</h1>
        <p className="muted">
          Every training run of {project.name}, with its exact settings, data version and results.
        </p>
      </header>
      {deleted && (
        <div className="banner info" role="status">
          Deleted “{deleted.name}”.
          <button
            className="button link"
            onClick={() => {
              api.call('runs.restore', { runId: deleted.id }).then(() => {
                setDeleted(null)
                load()
              }, onError)
            }}
            data-testid="undo-delete-run"
          >
            Undo
          </button>
        </div>
      )}
      {comparing ? (
        <Compare runIds={comparing} onClose={() => setComparing(null)} onError={onError} />
      ) : (
        <>
          <div className="row runs-toolbar">
            <input
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="Search name, tags, notes…"
              title="Matches the name, tags, model and notes"
              aria-label="Filter runs"
              data-testid="runs-filter"
            />
            <select value={status} onChange={(e) => setStatus(e.target.value)} aria-label="Status">
              <option value="">any status</option>
              {['running', 'paused', 'completed', 'stopped', 'failed', 'interrupted', 'queued'].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
            <select value={versionFilter} onChange={(e) => setVersionFilter(e.target.value)} aria-label="Data version">
              <option value="">any data version</option>
              {[...new Set((runs ?? []).map((r) => r.datasetVersion))]
                .sort((a, b) => b - a)
                .map((v) => (
                  <option key={v} value={v}>
                    data v{v}
                  </option>
                ))}
            </select>
            <select
              value={tagFilter}
              onChange={(e) => setTagFilter(e.target.value)}
              aria-label="Tag"
              data-testid="runs-tag-filter"
            >
              <option value="">any tag</option>
              {[...new Set((runs ?? []).flatMap((r) => r.tags))].sort().map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
            <select
              value={architectureFilter}
              onChange={(e) => setArchitectureFilter(e.target.value)}
              aria-label="Architecture"
              className="architecture-filter"
              data-testid="runs-architecture-filter"
            >
              <option value="">any architecture</option>
              {[...new Set((runs ?? []).map((r) => r.architectureSummary))].sort().map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
            <button
              className="button primary"
              disabled={selected.size < 2 || selected.size > 10}
              title="Select 2 to 10 runs"
              onClick={() => setComparing([...selected])}
              data-testid="compare-selected"
            >
              Compare {selected.size > 0 ? `(${selected.size})` : ''}
            </button>
          </div>
          {runs === null ? (
            <p className="muted">Loading…</p>
          ) : runs.length === 0 ? (
            <div className="empty-state">
              <h2>No runs yet</h2>
              <p>
                Train a model on the <a href="#/train">Train page</a>; every run appears here.
              </p>
            </div>
          ) : (
            <div className="runs-table-wrap">
              <table className="runs-table" data-testid="runs-table">
                <thead>
                  <tr>
                    <th />
                    {header('name', 'Run')}
                    {header('status', 'Status')}
                    <th>Data</th>
                    <th>Model</th>
                    {header('learningRate', 'Settings')}
                    {header('val_accuracy', 'Validation accuracy')}
                    {header('testAccuracy', 'Test accuracy')}
                    {header('duration', 'Time')}
                    <th>Engine</th>
                    <th>Tags</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((r) => (
                    <tr key={r.id} className={open === r.id ? 'open' : ''} data-testid="run-row">
                      <td>
                        <input
                          type="checkbox"
                          checked={selected.has(r.id)}
                          aria-label={`Select ${r.name}`}
                          onChange={(e) => {
                            const next = new Set(selected)
                            if (e.target.checked) next.add(r.id)
                            else next.delete(r.id)
                            setSelected(next)
                          }}
                        />
                      </td>
                      <td>
                        <button className="link-button" onClick={() => setOpen(open === r.id ? null : r.id)}>
                          {r.name}
                        </button>
                      </td>
                      <td>
                        <span className={`status ${r.status}`}>{r.status}</span>
                      </td>
                      <td className="small">{versionName(r.datasetVersion)}</td>
                      <td className="small">{r.architectureSummary}</td>
                      <td className="small">
                        {r.optimizer}, learning rate {roundForPeople(r.learningRate)} · batch {r.batchSize} ·{' '}
                        {r.folds !== null
                          ? `${r.folds} folds of ${r.epochs} epochs`
                          : `${r.epochsDone} of ${r.epochs} epochs`}{' '}
                        · seed {r.seed}
                      </td>
                      <td>{percent(r.latest.val_accuracy)}</td>
                      <td>{percent(r.testAccuracy)}</td>
                      <td>{runTime(r)}</td>
                      <td className="small">{r.engine?.engine ?? '—'}</td>
                      <td className="small">{r.tags.join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {open && runs?.some((r) => r.id === open) && (
            <RunDetail
              key={open}
              runId={open}
              classes={classes}
              onChanged={load}
              onError={onError}
              onDelete={(id, name) => void remove(id, name)}
              onRerun={(id) =>
                api.call('runs.rerun', { runId: id }).then((r) => {
                  onMessage(`Started “${r.name}” with the same model, settings, data version and seed`)
                  window.location.hash = '#/train'
                }, onError)
              }
            />
          )}
        </>
      )}
    </section>
  )
}
