/**
 * Compare 2–10 runs: one metric's curves overlaid, a table of only the settings that differ (or all),
 * metrics side by side with the best marked, per-class F1 so it is clear which classes got better or
 * worse, and the comparison as CSV.
 */
import { useEffect, useState } from 'react'
import type { ClassificationEvaluation, RunComparison } from '../../../../shared/training'
import { api } from '../../api'
import { ConfusionMatrix } from '../../components/ConfusionMatrix'
import { LiveChart, type Series } from '../../components/LiveChart'
import { bestIndex, formatSetting, isFraction, metricLabel, percent, settingLabel } from '../../../../shared/words'

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
const metrics = ['val_accuracy', 'val_loss', 'accuracy', 'loss', 'batch/loss', 'batch/accuracy']

function downloadCsv(c: RunComparison, keys: string[]): void {
  const esc = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
  const rows = [
    ['setting', ...c.runs.map((r) => r.name)],
    ...keys.map((k) => [settingLabel(k), ...c.settings.map((s) => s[k] ?? '')]),
    ['test accuracy', ...c.evaluations.map((e) => (e?.kind === 'classification' ? String(e.accuracy) : ''))],
    ['macro F1', ...c.evaluations.map((e) => (e?.kind === 'classification' ? String(e.macro.f1) : ''))],
  ]
  const blob = new Blob([rows.map((r) => r.map(esc).join(',')).join('\n')], { type: 'text/csv' })
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = 'modelbench-comparison.csv'
  a.click()
  URL.revokeObjectURL(a.href)
}

function downloadChartPng(): void {
  const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="compare-chart"] canvas')
  if (!canvas) return
  const a = document.createElement('a')
  a.href = canvas.toDataURL('image/png')
  a.download = 'modelbench-comparison.png'
  a.click()
}

export function Compare({
  runIds,
  onClose,
  onError,
}: {
  runIds: string[]
  onClose: () => void
  onError: (err: unknown) => void
}): React.JSX.Element {
  const [metric, setMetric] = useState('val_accuracy')
  const [cmp, setCmp] = useState<RunComparison | null>(null)
  const [showAll, setShowAll] = useState(false)

  useEffect(() => {
    api.call('runs.compare', { runIds, metric }).then(setCmp, onError)
  }, [runIds, metric, onError])

  if (!cmp) return <p className="muted">Loading the comparison…</p>
  const keys = showAll ? [...new Set(cmp.settings.flatMap((s) => Object.keys(s)))] : cmp.differing
  const series: Series[] = cmp.runs.map((r, i) => ({
    label: r.name,
    color: palette[i % palette.length]!,
    points: cmp.curves[i]!.filter((p) => p.value !== null).map((p) => ({
      x: metric.startsWith('batch/') ? p.step : p.epoch,
      y: p.value!,
    })),
    markers: !metric.startsWith('batch/'),
  }))
  const cls = cmp.evaluations.map((e) => (e?.kind === 'classification' ? (e as ClassificationEvaluation) : null))
  // One best is marked; a tie is not (the runs are as good as each other).
  const accBest = bestIndex(cls.map((e) => e?.accuracy ?? null))
  const f1Best = bestIndex(cls.map((e) => e?.macro.f1 ?? null))
  const classNames = cls.find((e) => e)?.classes.map((c) => c.name) ?? []

  return (
    <div className="compare" data-testid="compare">
      <div className="row-between">
        <h2>Comparing {cmp.runs.length} runs</h2>
        <div className="row">
          <label>
            Metric{' '}
            <select value={metric} onChange={(e) => setMetric(e.target.value)} data-testid="compare-metric">
              {metrics.map((m) => (
                <option key={m} value={m}>
                  {metricLabel(m)}
                </option>
              ))}
            </select>
          </label>
          <button className="button" onClick={() => downloadCsv(cmp, keys)}>
            Export CSV
          </button>
          <button className="button" onClick={downloadChartPng} data-testid="compare-png">
            Chart as PNG
          </button>
          <button className="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
      <LiveChart
        key={metric}
        title={metricLabel(metric)}
        series={series}
        version={cmp}
        testId="compare-chart"
        xLabel={metric.startsWith('batch/') ? 'step' : 'epoch'}
        percentAxis={isFraction(metric)}
      />
      <div className="card">
        <div className="row-between">
          <h3>{showAll ? 'All settings' : `Settings that differ (${cmp.differing.length})`}</h3>
          <label className="small">
            <input
              type="checkbox"
              checked={showAll}
              onChange={(e) => setShowAll(e.target.checked)}
              data-testid="compare-show-all"
            />{' '}
            show all
          </label>
        </div>
        <table className="compare-table" data-testid="compare-diff">
          <thead>
            <tr>
              <th>Setting</th>
              {cmp.runs.map((r) => (
                <th key={r.id}>{r.name}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {keys.length === 0 && (
              <tr>
                <td colSpan={cmp.runs.length + 1} className="muted">
                  The runs have the same settings.
                </td>
              </tr>
            )}
            {keys.map((k) => (
              <tr key={k} className={cmp.differing.includes(k) ? 'differs' : ''} data-testid="diff-row">
                <td>{settingLabel(k)}</td>
                {cmp.settings.map((s, i) => (
                  <td key={i}>{formatSetting(s[k])}</td>
                ))}
              </tr>
            ))}
            <tr className="metric-row">
              <td>test accuracy</td>
              {cls.map((e, i) => (
                <td key={i} className={i === accBest ? 'best' : ''}>
                  {percent(e?.accuracy)}
                </td>
              ))}
            </tr>
            <tr className="metric-row">
              <td>macro F1</td>
              {cls.map((e, i) => (
                <td key={i} className={i === f1Best ? 'best' : ''}>
                  {e ? e.macro.f1.toFixed(3) : '—'}
                </td>
              ))}
            </tr>
            {classNames.map((name) => {
              const vals = cls.map((e) => e?.classes.find((c) => c.name === name)?.f1 ?? null)
              const first = vals[0]
              return (
                <tr key={name} className="class-row">
                  <td>F1 of “{name}”</td>
                  {vals.map((v, i) => (
                    <td
                      key={i}
                      className={
                        i > 0 && v !== null && first !== null && first !== undefined
                          ? v > first + 1e-9
                            ? 'better'
                            : v < first - 1e-9
                              ? 'worse'
                              : ''
                          : ''
                      }
                    >
                      {v === null ? '—' : v.toFixed(3)}
                    </td>
                  ))}
                </tr>
              )
            })}
          </tbody>
        </table>
        <p className="muted small">
          Per-class F1 is marked green where it is better than in the first run and red where worse.
        </p>
      </div>
      {cls.some((e) => e) && (
        <div className="card">
          <h3>Confusion matrices</h3>
          <div className="confusions" data-testid="compare-confusions">
            {cls.map((e, i) =>
              e ? (
                <div key={cmp.runs[i]!.id}>
                  <p className="small">
                    <strong>{cmp.runs[i]!.name}</strong>
                  </p>
                  <ConfusionMatrix evaluation={e} compact />
                </div>
              ) : null,
            )}
          </div>
        </div>
      )}
    </div>
  )
}
