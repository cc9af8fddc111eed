/**
 * A run as the Train page follows it: reattached on arrival to the run in progress (or the latest), its
 * curves read once and then streamed from the batch and epoch events (taken in at most four times a
 * second), its progress, its evaluation once it ends, and for a cross-validation the fold in training.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { EventPayload } from '../../../../shared/contract'
import type { Evaluation, RunSummary } from '../../../../shared/training'
import { api } from '../../api'
import { useApiEvent } from '../../useApiEvent'

export interface Progress {
  epoch: number
  epochs: number
  batch: number
  batches: number
  samplesPerSecond: number
}

interface Point {
  x: number
  y: number
}

export interface Curves {
  batchLoss: Point[]
  batchAccuracy: Point[]
  loss: Point[]
  valLoss: Point[]
  accuracy: Point[]
  valAccuracy: Point[]
}

const emptyCurves = (): Curves => ({
  batchLoss: [],
  batchAccuracy: [],
  loss: [],
  valLoss: [],
  accuracy: [],
  valAccuracy: [],
})
export const activeStatuses = new Set(['queued', 'running', 'paused'])

export interface RunStream {
  run: RunSummary | null
  progress: Progress | null
  evaluation: Evaluation | null
  curves: Curves
  /** For a cross-validation, the fold in training. */
  foldInfo: { current: number; total: number } | null
  preparing: EventPayload<'training.prepareProgressed'> | null
  /** Follows a run just started, from an empty chart. */
  follow: (r: RunSummary) => void
  /** Reads the followed run again (after pause, resume or stop). */
  refresh: () => void
}

export function useRunStream(projectId: string, onError: (err: unknown) => void): RunStream {
  const [preparing, setPreparing] = useState<EventPayload<'training.prepareProgressed'> | null>(null)
  /** The run whose batches and epochs drive the progress and charts: the run itself, or the fold in training. */
  const [watchId, setWatchId] = useState<string | null>(null)
  const [foldInfo, setFoldInfo] = useState<{ current: number; total: number } | null>(null)
  const [run, setRun] = useState<RunSummary | null>(null)
  const [progress, setProgress] = useState<Progress | null>(null)
  const [evaluation, setEvaluation] = useState<Evaluation | null>(null)
  const [curves, setCurves] = useState<Curves>(emptyCurves)

  const loadRun = useCallback(async (r: RunSummary) => {
    setRun(r)
    const m = await api.call('runs.metrics', { runId: r.id })
    const pts = (k: string): Point[] =>
      (m[k] ?? []).filter((p) => p.value !== null).map((p) => ({ x: p.step, y: p.value! }))
    setCurves({
      batchLoss: pts('batch/loss'),
      batchAccuracy: pts('batch/accuracy'),
      loss: pts('loss'),
      valLoss: pts('val_loss'),
      accuracy: pts('accuracy'),
      valAccuracy: pts('val_accuracy'),
    })
    if (!activeStatuses.has(r.status)) {
      const e = await api.call('runs.evaluation', { runId: r.id })
      setEvaluation(e.test ?? e.validation)
    }
  }, [])

  /** For a cross-validation, watch the fold that is training now. */
  const followFolds = useCallback(
    (parentId: string) => {
      api.call('runs.crossValidation', { runId: parentId }).then((cv) => {
        const current = cv.folds.find((f) => f.status === 'running' || f.status === 'queued' || f.status === 'paused')
        setFoldInfo(current ? { current: (current.fold ?? 0) + 1, total: cv.folds.length } : null)
        setWatchId((old) => {
          const next = current?.id ?? old
          if (next !== old) {
            setCurves(emptyCurves())
            setProgress(null)
          }
          return next
        })
      }, onError)
    },
    [onError],
  )

  useEffect(() => {
    // Reattach to a run in progress, or show the latest one.
    api.call('runs.list', { projectId, limit: 20 }).then((list) => {
      const current = list.items.find((r) => activeStatuses.has(r.status)) ?? list.items[0]
      if (current) {
        setWatchId(current.folds !== null ? null : current.id)
        void loadRun(current).then(() => current.folds !== null && followFolds(current.id), onError)
      }
    }, onError)
  }, [projectId, onError, loadRun, followFolds])

  const refreshRun = useCallback(
    (runId: string) => {
      api.call('runs.get', { runId }).then((r) => {
        setRun(r)
        if (r.folds !== null) followFolds(r.id)
        if (!activeStatuses.has(r.status)) {
          setProgress(null)
          api.call('runs.evaluation', { runId }).then((e) => setEvaluation(e.test ?? e.validation), onError)
        }
      }, onError)
    },
    [onError, followFolds],
  )

  // Batch metrics arrive up to ten times a second; the page takes them in at most four times a second
  // (the charts redraw no more often), so a streaming run re-renders this page a few times a second.
  const watched = watchId ?? run?.id ?? null
  const watchedRef = useRef(watched)
  useEffect(() => {
    watchedRef.current = watched
  })
  const incoming = useRef<{ runId: string | null; loss: Point[]; accuracy: Point[]; progress: Progress | null }>({
    runId: null,
    loss: [],
    accuracy: [],
    progress: null,
  })
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const flushBatches = useCallback(() => {
    if (flushTimer.current) clearTimeout(flushTimer.current)
    flushTimer.current = null
    const { runId, loss, accuracy, progress: latest } = incoming.current
    incoming.current = { runId: null, loss: [], accuracy: [], progress: null }
    // Points of a run no longer watched (a new run started, the next fold began) are dropped.
    if (runId === null || runId !== watchedRef.current) return
    setCurves((c) => ({
      ...c,
      batchLoss: [...c.batchLoss, ...loss],
      batchAccuracy: accuracy.length ? [...c.batchAccuracy, ...accuracy] : c.batchAccuracy,
    }))
    setProgress(latest)
  }, [])
  useEffect(
    () => () => {
      if (flushTimer.current) clearTimeout(flushTimer.current)
    },
    [],
  )

  useApiEvent('training.batchEnded', (e) => {
    if (e.runId !== watched) return
    if (incoming.current.runId !== e.runId)
      incoming.current = { runId: e.runId, loss: [], accuracy: [], progress: null }
    const buffer = incoming.current
    buffer.loss.push({ x: e.step, y: e.loss })
    if (e.accuracy !== null) buffer.accuracy.push({ x: e.step, y: e.accuracy })
    buffer.progress = {
      epoch: e.epoch,
      epochs: e.epochs,
      batch: e.batch,
      batches: e.batches,
      samplesPerSecond: e.samplesPerSecond,
    }
    flushTimer.current ??= setTimeout(flushBatches, 250)
  })
  useApiEvent('training.epochEnded', (e) => {
    if (e.runId !== watched) return
    // The epoch's points are placed after its last batch: take in the batches still waiting first.
    flushBatches()
    setCurves((c) => {
      const step = c.batchLoss.at(-1)?.x ?? e.epoch
      const add = (points: Curves[keyof Curves], v: number | undefined): Curves[keyof Curves] =>
        v === undefined ? points : [...points, { x: step, y: v }]
      return {
        ...c,
        loss: add(c.loss, e.metrics.loss),
        valLoss: add(c.valLoss, e.metrics.val_loss),
        accuracy: add(c.accuracy, e.metrics.accuracy),
        valAccuracy: add(c.valAccuracy, e.metrics.val_accuracy),
      }
    })
    if (run) refreshRun(run.id)
  })
  useApiEvent('training.prepareProgressed', (e) => {
    if (run && (e.runId === run.id || e.runId === watchId || run.folds !== null)) setPreparing(e)
  })
  useApiEvent('training.statusChanged', (e) => {
    if (!run) return
    if (e.runId === run.id || e.runId === watchId || run.folds !== null) refreshRun(run.id)
  })

  const follow = useCallback(
    (r: RunSummary) => {
      setWatchId(r.folds !== null ? null : r.id)
      setFoldInfo(null)
      if (r.folds !== null) followFolds(r.id)
      setCurves(emptyCurves())
      setEvaluation(null)
      setProgress(null)
      setRun(r)
    },
    [followFolds],
  )
  const refresh = useCallback(() => {
    if (run) refreshRun(run.id)
  }, [run, refreshRun])

  return { run, progress, evaluation, curves, foldInfo, preparing, follow, refresh }
}
