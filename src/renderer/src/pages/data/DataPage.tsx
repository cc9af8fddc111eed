/**
 * The Data page: import (path, pickers, drop), progress and report, and the labeler — classes, a
 * virtualised grid with keyboard labeling and undo, filters, the split and dataset versions.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { DatasetSummary, ImportInfo, Project, SampleFilter, Split } from '../../../../shared/contract'
import type { LabelSuggestion, RunSummary } from '../../../../shared/training'
import { api } from '../../api'
import { fromDataTransfer } from '../../picked-files'
import { useApiEvent } from '../../useApiEvent'
import { CameraCapture } from './CameraCapture'
import { ClassesPanel } from './ClassesPanel'
import { ImportPanel, useImporter } from './ImportPanel'
import { ImportProgressBar, ImportReportDialog, ImportSummary, type Progress } from './ImportStatus'
import { SampleGrid } from './SampleGrid'
import { SplitPanel } from './SplitPanel'
import { SuggestionReview } from './SuggestionReview'
import { useSamplePages } from './useSamplePages'
import { percent } from '../../format'

interface Props {
  project: Project
  onError: (err: unknown) => void
  onMessage: (message: string) => void
  onOpenProject: (project: Project) => Promise<void>
  /** Registers this page's undo with the app's Ctrl+Z. */
  setUndo: (undo: (() => Promise<void>) | null) => void
}

type LabelChange = Array<{ sampleId: number; classId: number | null }>

export function DataPage({ project, onError, onMessage, onOpenProject, setUndo }: Props): React.JSX.Element {
  const [dataset, setDataset] = useState<DatasetSummary | null | undefined>(undefined)
  const [progress, setProgress] = useState<Progress | null>(null)
  const [showImport, setShowImport] = useState(false)
  const [report, setReport] = useState<ImportInfo | null>(null)
  const [dragging, setDragging] = useState(false)
  const [capturing, setCapturing] = useState(false)
  // Bumped when samples come or go or classes change; label changes are patched into the grid instead,
  // so the grid does not shift under the cursor while the user labels.
  const [structure, setStructure] = useState(0)

  const refresh = useCallback(() => {
    api.call('datasets.get', { projectId: project.id }).then(setDataset, onError)
  }, [project.id, onError])
  useEffect(refresh, [refresh])
  // Drops anywhere on the page go the same way as files picked in the import panel.
  const dropped = useImporter({
    projectId: project.id,
    kind: dataset?.kind ?? null,
    onStarted: refresh,
    onError,
    onMessage,
  })

  useApiEvent('datasets.changed', (e) => {
    if (e.projectId !== project.id) return
    refresh()
    if (e.reason !== 'labeled') setStructure((n) => n + 1)
  })
  useApiEvent('import.progressed', (e) => e.projectId === project.id && setProgress(e))
  useApiEvent('import.finished', (e) => {
    if (e.projectId !== project.id) return
    setProgress(null)
    refresh()
  })

  const latest = dataset?.latestImport
  const running = latest?.status === 'running' || progress !== null
  // Until the first progress event arrives (or when the page opens mid-import), show what the database says.
  const shownProgress: Progress | null =
    progress ??
    (latest?.status === 'running'
      ? {
          importId: latest.id,
          datasetId: latest.datasetId,
          projectId: project.id,
          processed: latest.processed,
          total: latest.total,
          imported: latest.imported,
          duplicates: latest.duplicates,
          skipped: latest.skipped,
          ratePerSecond: 0,
          etaSeconds: null,
        }
      : null)
  const dropHandlers = {
    onDragOver: (e: React.DragEvent) => {
      if (![...e.dataTransfer.types].includes('Files')) return
      e.preventDefault()
      setDragging(true)
    },
    onDragLeave: () => setDragging(false),
    onDrop: (e: React.DragEvent) => {
      e.preventDefault()
      setDragging(false)
      void dropped.importPicked(fromDataTransfer(e.dataTransfer))
    },
  }

  async function createSample(sample: 'digits' | 'iris'): Promise<void> {
    try {
      const { project: created } = await api.call('projects.createSample', { sample })
      await onOpenProject(created)
    } catch (err) {
      onError(err)
    }
  }

  return (
    <section
      className={dragging ? 'page data-page dragging' : 'page data-page'}
      data-testid="page-data"
      {...dropHandlers}
    >
      <header className="page-header row-between">
        <div>
          <h1>Data</h1>
          <p className="muted">
            in {project.name}
            {dataset &&
              ` · ${dataset.total.toLocaleString()} ${dataset.kind === 'image' ? 'images' : 'rows'}, ${dataset.labeled.toLocaleString()} labeled`}
          </p>
        </div>
        <div className="row">
          {dataset !== undefined && dataset?.kind !== 'table' && (
            <button
              className="button"
              onClick={() => setCapturing(true)}
              disabled={running}
              data-testid="camera-open"
              title="Take pictures for a class with your camera"
            >
              Capture from camera…
            </button>
          )}
          {dataset && (
            <button
              className="button"
              onClick={() => setShowImport((s) => !s)}
              disabled={running}
              data-testid="import-more"
            >
              {showImport ? 'Close import' : 'Import more…'}
            </button>
          )}
        </div>
      </header>

      {shownProgress && (
        <ImportProgressBar
          progress={shownProgress}
          onCancel={() => void api.call('imports.cancel', { importId: shownProgress.importId }).catch(onError)}
        />
      )}
      {!shownProgress && latest && <ImportSummary info={latest} onShowReport={() => setReport(latest)} />}

      {dataset === undefined ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : dataset === null ? (
        running ? null : (
          <div className="empty-state">
            <h2>Bring in your data</h2>
            <p>
              Import a folder of images (one subfolder per class), a folder of unlabeled images to label here, or a CSV
              table; or take pictures with “Capture from camera…”.
            </p>
            <ImportPanel
              projectId={project.id}
              kind={null}
              onStarted={refresh}
              onError={onError}
              onMessage={onMessage}
              onSample={(s) => void createSample(s)}
            />
          </div>
        )
      ) : (
        <>
          {showImport && !running && (
            <div className="card">
              <ImportPanel
                projectId={project.id}
                kind={dataset.kind}
                onStarted={() => {
                  setShowImport(false)
                  refresh()
                }}
                onError={onError}
                onMessage={onMessage}
              />
            </div>
          )}
          <Labeler
            key={dataset.id}
            dataset={dataset}
            structure={structure}
            onError={onError}
            onMessage={onMessage}
            setUndo={setUndo}
          />
        </>
      )}
      {dropped.dialog}
      {dropped.busy && (
        <p className="muted" role="status" data-testid="drop-busy">
          {dropped.busy}
        </p>
      )}
      {report && <ImportReportDialog info={report} onClose={() => setReport(null)} />}
      {capturing && (
        <CameraCapture
          projectId={project.id}
          classes={dataset?.classes ?? []}
          onStarted={(className, n) => {
            setCapturing(false)
            refresh()
            onMessage(`Importing ${n === 1 ? '1 camera image' : `${n} camera images`} into “${className}”`)
          }}
          onClose={() => setCapturing(false)}
        />
      )}
      {dragging && <div className="drop-overlay">Drop to import</div>}
    </section>
  )
}

function Labeler({
  dataset,
  structure,
  onError,
  onMessage,
  setUndo,
}: {
  dataset: DatasetSummary
  structure: number
  onError: (err: unknown) => void
  onMessage: (m: string) => void
  setUndo: Props['setUndo']
}): React.JSX.Element {
  const [filter, setFilter] = useState<SampleFilter>({ kind: 'all' })
  const [suggestions, setSuggestions] = useState<LabelSuggestion[] | null>(null)
  const [runs, setRuns] = useState<RunSummary[] | null>(null)
  const pages = useSamplePages(dataset.id, filter)
  const undoStack = useRef<LabelChange[]>([])
  const unlabeled = dataset.total - dataset.labeled
  const reload = pages.reload

  // Reload what is on screen when samples or classes change (not on label changes: see DataPage).
  const firstRender = useRef(true)
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false
      return
    }
    reload()
  }, [structure, reload])

  /** Shows the labels at once, saves them, and returns what they replaced (null if saving failed). */
  const saveLabels = useCallback(
    async (labels: LabelChange): Promise<LabelChange | null> => {
      pages.patchLabels(labels)
      try {
        return (await api.call('samples.setLabels', { labels })).previous
      } catch (err) {
        onError(err)
        reload()
        return null
      }
    },
    [pages, onError, reload],
  )

  const undo = useCallback(async () => {
    const last = undoStack.current.pop()
    if (last) await saveLabels(last)
    if (undoStack.current.length === 0) setUndo(null)
  }, [saveLabels, setUndo])

  const applyLabels = useCallback(
    async (labels: LabelChange) => {
      const previous = await saveLabels(labels)
      if (!previous) return
      undoStack.current.push(previous)
      setUndo(undo)
    },
    [saveLabels, setUndo, undo],
  )
  useEffect(() => () => setUndo(null), [setUndo])

  const filters: Array<{ f: SampleFilter; label: string; count?: number }> = [
    { f: { kind: 'all' }, label: 'All', count: dataset.total },
    { f: { kind: 'unlabeled' }, label: 'Unlabeled', count: unlabeled },
    ...(['train', 'validation', 'test'] as Split[]).map((s) => ({
      f: { kind: 'split', split: s } as SampleFilter,
      label: s[0]!.toUpperCase() + s.slice(1),
      count: dataset.counts.reduce((n, c) => n + c[s], 0),
    })),
    { f: { kind: 'duplicates' }, label: 'Had duplicates' },
  ]
  const same = (a: SampleFilter, b: SampleFilter): boolean => JSON.stringify(a) === JSON.stringify(b)
  const classFilter = filter.kind === 'class' ? dataset.classes.find((c) => c.id === filter.classId) : undefined

  return (
    <div className="labeler">
      <ClassesPanel
        datasetId={dataset.id}
        classes={dataset.classes}
        unlabeled={unlabeled}
        filter={filter}
        onFilter={setFilter}
        onError={onError}
        readOnly={dataset.kind === 'table'}
      />
      <div className="labeler-main">
        <div className="filters" role="tablist" aria-label="Show">
          {filters.map(({ f, label, count }) => (
            <button
              key={label}
              role="tab"
              aria-selected={same(f, filter)}
              className={same(f, filter) ? 'chip active' : 'chip'}
              onClick={() => (same(f, filter) ? pages.reload() : setFilter(f))}
              title={same(f, filter) ? 'Refresh' : undefined}
              data-testid={`filter-${f.kind === 'split' ? f.split : f.kind}`}
            >
              {label}
              {count !== undefined && <span className="chip-count">{count.toLocaleString()}</span>}
            </button>
          ))}
          {classFilter && (
            <button
              className="chip active"
              onClick={() => setFilter({ kind: 'all' })}
              title="Show all"
              data-testid="filter-class-active"
            >
              <span className="dot" style={{ background: classFilter.color }} />
              {classFilter.name} ×
            </button>
          )}
        </div>
        {dataset.kind === 'image' && unlabeled > 0 && !suggestions && (
          <div className="row suggest-bar">
            {runs === null ? (
              <button
                className="button"
                data-testid="suggest-labels"
                onClick={() =>
                  api
                    .call('runs.list', { projectId: dataset.projectId })
                    .then((r) => setRuns(r.items.filter((x) => x.status === 'completed' && x.folds === null)), onError)
                }
              >
                Suggest labels…
              </button>
            ) : runs.length === 0 ? (
              <span className="muted small">
                Train a model first: a completed run can then suggest labels for the {unlabeled.toLocaleString()}{' '}
                unlabeled images.
              </span>
            ) : (
              <label className="small">
                Suggest labels with{' '}
                <select
                  defaultValue=""
                  data-testid="suggest-run"
                  onChange={(e) =>
                    e.target.value &&
                    api.call('runs.suggestLabels', { runId: e.target.value }).then((r) => {
                      setSuggestions(r.items)
                      setRuns(null)
                    }, onError)
                  }
                >
                  <option value="">a trained run…</option>
                  {runs.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.name} · test accuracy {percent(r.testAccuracy)}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
        )}
        {suggestions && (
          <SuggestionReview
            suggestions={suggestions}
            classes={dataset.classes}
            onLabel={(sampleId, classId) => void applyLabels([{ sampleId, classId }])}
            onClose={() => {
              setSuggestions(null)
              reload()
            }}
          />
        )}
        {pages.error && (
          <p className="field-error" role="alert">
            {pages.error}
          </p>
        )}
        <SampleGrid
          key={JSON.stringify(filter)}
          kind={dataset.kind}
          pages={pages}
          classes={dataset.classes}
          onLabel={(ids, classId) => void applyLabels(ids.map((sampleId) => ({ sampleId, classId })))}
          emptyMessage={
            filter.kind === 'unlabeled'
              ? 'Everything is labeled. Nice work.'
              : filter.kind === 'duplicates'
                ? 'No duplicates were found when importing.'
                : 'Nothing here yet.'
          }
        />
        {dataset.classes.length === 0 && dataset.kind === 'image' && (
          <p className="muted small">Add a class on the left, then press its number key to label the selected image.</p>
        )}
      </div>
      <SplitPanel dataset={dataset} onError={onError} onMessage={onMessage} />
    </div>
  )
}
