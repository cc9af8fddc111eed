/** A cross-validation parent: each fold's result, mean ± standard deviation, and the folds' curves together. */
import { useEffect, useState } from 'react'
import type { CrossValidationSummary, MetricPoint } from '../../../../shared/training'
import { api } from '../../api'
import { LiveChart, type Series } from '../../components/LiveChart'

const palette = [
  '#4c6ef5',
  '#f76707',
  '#2f9e44',
  '#e03131',
  '#ae3ec9',
  '#1098ad',
  '#f59f00',
  '#d6336c',
  '#5c940d',
  '#7950f2',
]

export function CrossValidationView({
  runId,
  onError,
}: {
  runId: string
  onError: (err: unknown) => void
}): React.JSX.Element {
  const [cv, setCv] = useState<CrossValidationSummary | null>(null)
  const [curves, setCurves] = useState<MetricPoint[][]>([])

  useEffect(() => {
    api.call('runs.crossValidation', { runId }).then(async (summary) => {
      setCv(summary)
      const m = await Promise.all(
        summary.folds.map((f) => api.call('runs.metrics', { runId: f.id, keys: ['val_accuracy'] })),
      )
      setCurves(m.map((x) => x.val_accuracy ?? []))
    }, onError)
  }, [runId, onError])

  if (!cv) return <p className="muted">Loading…</p>
  const series: Series[] = cv.folds.map((f, i) => ({
    label: `fold ${(f.fold ?? i) + 1}`,
    color: palette[i % palette.length]!,
    points: (curves[i] ?? []).filter((p) => p.value !== null).map((p) => ({ x: p.epoch, y: p.value! })),
    markers: true,
  }))
  const row = (
    label: string,
    key: string,
    percent: boolean,
    get: (f: CrossValidationSummary['folds'][number]) => number | null | undefined,
  ): React.JSX.Element => {
    const one = (v: number | null | undefined): string =>
      v === null || v === undefined ? '—' : percent ? `${(v * 100).toFixed(1)} %` : v.toFixed(3)
    const m = cv.mean[key]
    const s = cv.std[key]
    const both =
      m === undefined || s === undefined
        ? '—'
        : percent
          ? `${(m * 100).toFixed(1)} ± ${(s * 100).toFixed(1)} %`
          : `${m.toFixed(3)} ± ${s.toFixed(3)}`
    return (
      <tr>
        <td>{label}</td>
        {cv.folds.map((f) => (
          <td key={f.id}>{one(get(f))}</td>
        ))}
        <td className="best" data-testid={`cv-mean-${key}`}>
          {both}
        </td>
      </tr>
    )
  }
  return (
    <div className="card" data-testid="cross-validation">
      <h3>
        {cv.folds.length}-fold cross-validation · {cv.folds.filter((f) => f.status === 'completed').length} of{' '}
        {cv.folds.length} folds done
      </h3>
      <table className="compare-table">
        <thead>
          <tr>
            <th />
            {cv.folds.map((f, i) => (
              <th key={f.id}>
                fold {(f.fold ?? i) + 1} <span className="muted small">{f.status}</span>
              </th>
            ))}
            <th>mean ± std</th>
          </tr>
        </thead>
        <tbody>
          {row('test accuracy', 'testAccuracy', true, (f) => f.testAccuracy)}
          {row('validation accuracy', 'val_accuracy', true, (f) => f.latest.val_accuracy)}
          {row('validation loss', 'val_loss', false, (f) => f.latest.val_loss)}
        </tbody>
      </table>
      <LiveChart
        title="Validation accuracy of each fold"
        series={series}
        version={curves}
        testId="cv-chart"
        xLabel="epoch"
        percentAxis
      />
    </div>
  )
}
