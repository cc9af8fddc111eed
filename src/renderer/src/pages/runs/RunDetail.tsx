/** One run: its curves, configuration, reproducibility receipt, evaluation, tags and notes. */
import { Fragment, useEffect, useState } from 'react'
import type { ClassificationEvaluation, Evaluation, RunDetail as Detail } from '../../../../shared/training'
import type { ClassInfo } from '../../../../shared/contract'
import { api } from '../../api'
import { ConfusionMatrix } from '../../components/ConfusionMatrix'
import { CrossValidationView } from './CrossValidationView'
import { ErrorGallery } from './ErrorGallery'
import { TryIt } from './TryIt'
import { TryRow } from './TryRow'
import { LiveChart, type Series } from '../../components/LiveChart'
import { engineDetail, percent } from '../../format'
import { metricLabel, roundForPeople, versionName } from '../../../../shared/words'
import { messageOf } from '../../../../shared/messages'

interface Props {
  classes: ClassInfo[]
  runId: string
  onChanged: () => void
  onRerun: (runId: string) => void
  onDelete: (runId: string, name: string) => void
  onError: (err: unknown) => void
}

export function RunDetail({ runId, classes, onChanged, onRerun, onDelete, onError }: Props): React.JSX.Element {
  const [run, setRun] = useState<Detail | null>(null)
  const [evaluation, setEvaluation] = useState<{ validation: Evaluation | null; test: Evaluation | null } | null>(null)
  const [curves, setCurves] = useState<Record<string, Array<{ x: number; y: number }>>>({})
  const [notes, setNotes] = useState('')
  const [tags, setTags] = useState('')
  const [cell, setCell] = useState<{ trueIndex: number; predictedIndex: number } | null>(null)

  useEffect(() => {
    let live = true
    void Promise.all([
      api.call('runs.get', { runId }),
      api.call('runs.evaluation', { runId }),
      api.call('runs.metrics', { runId, keys: ['loss', 'val_loss', 'accuracy', 'val_accuracy'] }),
    ]).then(([r, e, m]) => {
      if (!live) return
      setRun(r)
      setNotes(r.notes)
      setTags(r.tags.join(', '))
      setEvaluation(e)
      setCurves(
        Object.fromEntries(
          Object.entries(m).map(([k, pts]) => [
            k,
            pts.filter((p) => p.value !== null).map((p) => ({ x: p.epoch, y: p.value! })),
          ]),
        ),
      )
    }, onError)
    return () => {
      live = false
    }
  }, [runId, onError])

  if (!run) return <p className="muted">Loading…</p>
  const save = (patch: { notes?: string; tags?: string[] }): void =>
    void api.call('runs.update', { runId, ...patch }).then(onChanged, onError)
  const e = evaluation?.test ?? evaluation?.validation ?? null
  const loss: Series[] = [
    { label: 'loss', color: '#4c6ef5', points: curves.loss ?? [], markers: true },
    { label: 'validation loss', color: '#f76707', points: curves.val_loss ?? [], markers: true },
  ]
  const acc: Series[] = [
    { label: 'accuracy', color: '#4c6ef5', points: curves.accuracy ?? [], markers: true },
    { label: 'validation accuracy', color: '#f76707', points: curves.val_accuracy ?? [], markers: true },
  ]
  const hp = run.hyperparameters
  return (
    <div className="run-detail" data-testid="run-detail">
      <div className="row-between">
        <div>
          <h2>{run.name}</h2>
          <p className="muted small">
            {run.status}
            {run.statusReason ? ` · ${run.statusReason}` : ''}
            {run.parentRunId ? ' · a re-run' : ''}
            {run.sweepId && (
              <>
                {' '}
                · a sweep trial (<a href="#/train">see the sweep on the Train page</a>)
              </>
            )}
          </p>
        </div>
        <div className="row">
          {run.status === 'completed' && run.folds === null && (
            <a className="button" href={`#/export?run=${run.id}`} data-testid="export-run-link">
              Export…
            </a>
          )}
          <button className="button" onClick={() => onRerun(run.id)} data-testid="rerun">
            Re-run exactly
          </button>
          <button className="button danger-outline" onClick={() => onDelete(run.id, run.name)} data-testid="delete-run">
            Delete
          </button>
        </div>
      </div>
      {run.folds !== null && <CrossValidationView runId={run.id} onError={onError} />}
      <div className="charts" hidden={run.folds !== null}>
        <LiveChart title="Loss by epoch" series={loss} version={curves} testId="detail-loss" xLabel="epoch" />
        {(curves.accuracy?.length ?? 0) > 0 && (
          <LiveChart
            title="Accuracy by epoch"
            series={acc}
            version={curves}
            testId="detail-accuracy"
            xLabel="epoch"
            percentAxis
          />
        )}
      </div>
      {e?.kind === 'classification' && e.roc && e.roc.points.length > 0 && (
        <LiveChart
          title={`ROC curve of “${e.classes[1]!.name}” (AUC ${e.roc.auc.toFixed(3)})`}
          series={[
            { label: 'ROC', color: '#4c6ef5', points: e.roc.points.map(([x, y]) => ({ x, y })), markers: false },
            {
              label: 'chance',
              color: '#adb5bd',
              points: [
                { x: 0, y: 0 },
                { x: 1, y: 1 },
              ],
              markers: false,
              dashed: true,
            },
          ]}
          version={e}
          testId="roc-chart"
          xLabel="false positive rate"
        />
      )}
      {e?.kind === 'regression' && (
        <PredictedVsActual runId={runId} split={evaluation?.test ? 'test' : 'validation'} onError={onError} />
      )}
      {e && (
        <EvaluationView
          evaluation={e}
          split={evaluation?.test ? 'test' : 'validation'}
          onCell={(trueIndex, predictedIndex) => setCell({ trueIndex, predictedIndex })}
        />
      )}
      {e?.kind === 'classification' && run.status === 'completed' && run.spec.inputShape.length === 3 && (
        <TryIt runId={runId} testCount={evaluation?.test?.count ?? 0} />
      )}
      {run.status === 'completed' && run.folds === null && run.spec.inputShape.length === 1 && (
        <TryRow runId={runId} projectId={run.projectId} testCount={evaluation?.test?.count ?? 0} />
      )}
      {e?.kind === 'classification' && (
        <ErrorGallery
          runId={runId}
          split={evaluation?.test ? 'test' : 'validation'}
          classes={classes}
          cell={cell}
          onClearCell={() => setCell(null)}
          onError={onError}
        />
      )}
      <div className="detail-grid">
        <div className="card">
          <h3>Settings</h3>
          <dl className="facts">
            <dt>Optimizer</dt>
            <dd>
              {hp.optimizer}, learning rate {roundForPeople(hp.learningRate)}
            </dd>
            <dt>Batch, epochs</dt>
            <dd>
              {hp.batchSize}, {run.epochsDone} of {hp.epochs}
            </dd>
            <dt>Early stopping</dt>
            <dd>
              {hp.earlyStopping
                ? `when ${metricLabel(hp.earlyStopping.metric)} stops improving for ${hp.earlyStopping.patience} epochs`
                : 'off'}
            </dd>
            <dt>Augmentation</dt>
            <dd>
              flip {hp.augmentation.flip}, rotation ±{hp.augmentation.rotation}°, zoom ±{hp.augmentation.zoom},
              brightness ±{hp.augmentation.brightness}
            </dd>
            <dt>Model</dt>
            <dd>{run.architectureSummary}</dd>
          </dl>
        </div>
        <div className="card" data-testid="receipt">
          <h3>Reproducibility receipt</h3>
          <dl className="facts">
            <dt>Data</dt>
            <dd data-testid="receipt-version">{versionName(run.datasetVersion)}</dd>
            <dt>Seed</dt>
            <dd>{run.seed}</dd>
            <dt>Engine</dt>
            <dd>{run.engine ? `${run.engine.engine} (${engineDetail(run.engine)})` : '—'}</dd>
            {run.engine &&
              Object.entries(run.engine.versions).map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </Fragment>
              ))}
            <dt>Machine</dt>
            <dd>{run.engine ? `${run.engine.cpu}, ${run.engine.cores} cores, ${run.engine.os}` : '—'}</dd>
            {run.target && (
              <>
                <dt>Cluster</dt>
                <dd data-testid="receipt-cluster">
                  {run.target.profileName} · Slurm job {run.target.jobId ?? '(not submitted)'}
                  {run.target.node ? ` on ${run.target.node}` : ''} · {run.target.state?.toLowerCase() ?? 'submitting'}
                  {run.target.reason ? ` (${run.target.reason})` : ''}
                  {run.target.attempts > 1 ? ` · submitted ${run.target.attempts} times` : ''}
                </dd>
              </>
            )}
          </dl>
          {run.target?.log && <JobLog runId={run.id} />}
        </div>
        <div className="card">
          <h3>Tags and notes</h3>
          <input
            value={tags}
            onChange={(ev) => setTags(ev.target.value)}
            onBlur={() =>
              save({
                tags: tags
                  .split(',')
                  .map((t) => t.trim())
                  .filter(Boolean),
              })
            }
            placeholder="tags, separated by commas"
            aria-label="Tags"
            data-testid="run-tags"
          />
          <textarea
            value={notes}
            onChange={(ev) => setNotes(ev.target.value)}
            onBlur={() => save({ notes })}
            placeholder="What did you try, what did you learn?"
            aria-label="Notes"
            rows={4}
          />
        </div>
      </div>
    </div>
  )
}

/** Regression: each example's predicted value against its true value, with the line where they agree. */
function PredictedVsActual({
  runId,
  split,
  onError,
}: {
  runId: string
  split: 'validation' | 'test'
  onError: (err: unknown) => void
}): React.JSX.Element {
  const [points, setPoints] = useState<Array<{ x: number; y: number }>>([])
  useEffect(() => {
    api
      .call('runs.predictions', { runId, split, limit: 1000 })
      .then((r) => setPoints(r.items.map((p) => ({ x: p.trueValue ?? 0, y: p.predictedValue ?? 0 }))), onError)
  }, [runId, split, onError])
  const xs = points.map((p) => p.x)
  const lo = Math.min(...xs, 0)
  const hi = Math.max(...xs, 1)
  return (
    <LiveChart
      title="Predicted against actual"
      series={[
        { label: 'examples', color: '#4c6ef5', points, markers: true, line: false },
        {
          label: 'perfect',
          color: '#adb5bd',
          points: [
            { x: lo, y: lo },
            { x: hi, y: hi },
          ],
          markers: false,
          dashed: true,
        },
      ]}
      version={points}
      testId="regression-chart"
      xLabel="actual"
    />
  )
}

export function EvaluationView({
  evaluation,
  split,
  onCell,
}: {
  evaluation: Evaluation
  split: string
  onCell?: (trueIndex: number, predictedIndex: number) => void
}): React.JSX.Element {
  if (evaluation.kind === 'regression') {
    return (
      <div className="card">
        <h3>Evaluation on {split}</h3>
        <p>
          MSE {roundForPeople(evaluation.mse)} · MAE {roundForPeople(evaluation.mae)} · R²{' '}
          {roundForPeople(evaluation.r2)} ({evaluation.count} examples)
        </p>
      </div>
    )
  }
  const e = evaluation as ClassificationEvaluation
  return (
    <div className="card evaluation" data-testid="evaluation">
      <h3>Evaluation on {split}</h3>
      <p>
        <strong>Accuracy {percent(e.accuracy)}</strong> · macro precision {e.macro.precision.toFixed(3)} · recall{' '}
        {e.macro.recall.toFixed(3)} · F1 {e.macro.f1.toFixed(3)}
        {e.roc && ` · ROC AUC ${e.roc.auc.toFixed(3)}`} · {e.count.toLocaleString()} examples
      </p>
      <div className="evaluation-grid">
        <table className="per-class">
          <thead>
            <tr>
              <th>Class</th>
              <th>Precision</th>
              <th>Recall</th>
              <th>F1</th>
              <th>Support</th>
            </tr>
          </thead>
          <tbody>
            {e.classes.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td>{c.precision.toFixed(3)}</td>
                <td>{c.recall.toFixed(3)}</td>
                <td>{c.f1.toFixed(3)}</td>
                <td>{c.support}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <ConfusionMatrix evaluation={e} onCell={onCell} testId="detail-confusion" />
      </div>
    </div>
  )
}

/** The end of a cluster run's Slurm log, one click away. */
function JobLog({ runId }: { runId: string }): React.JSX.Element {
  const [log, setLog] = useState<{ path: string; text: string } | null>(null)
  const [error, setError] = useState<string | null>(null)
  return (
    <div className="job-log">
      <button
        className="button"
        onClick={() =>
          api.call('runs.jobLog', { runId }).then(
            (l) => {
              setLog(l)
              setError(null)
            },
            (err: unknown) => setError(messageOf(err)),
          )
        }
        data-testid="run-job-log"
      >
        {log ? 'Read the job’s log again' : 'Show the job’s log'}
      </button>
      {error && <p className="field-error">{error}</p>}
      {log && (
        <>
          <p className="muted small">{log.path}</p>
          <pre className="log" data-testid="run-job-log-text">
            {log.text || '(empty)'}
          </pre>
        </>
      )}
    </div>
  )
}
