/** "Try it" for tables: type a row's values, or pick a test row, and see the run's prediction. */
import { useEffect, useState } from 'react'
import type { TableColumn } from '../../../../shared/contract'
import type { TryRowResult } from '../../../../shared/export'
import { api } from '../../api'
import { roundForPeople } from '../../../../shared/words'
import { ClassPrediction, TryStatus } from './TryIt'
import { messageOf } from '../../../../shared/messages'

interface Props {
  runId: string
  projectId: string
  testCount: number
}

export function TryRow({ runId, projectId, testCount }: Props): React.JSX.Element {
  const [columns, setColumns] = useState<TableColumn[]>([])
  const [values, setValues] = useState<Record<string, string>>({})
  const [result, setResult] = useState<TryRowResult | null>(null)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [next, setNext] = useState(0)

  useEffect(() => {
    api.call('datasets.get', { projectId }).then(
      (d) => setColumns(d?.columns ?? []),
      (err: unknown) => setProblem(messageOf(err)),
    )
  }, [projectId])

  async function run(work: () => Promise<TryRowResult>): Promise<void> {
    setBusy(true)
    setProblem(null)
    try {
      setResult(await work())
    } catch (err) {
      setProblem(messageOf(err))
    } finally {
      setBusy(false)
    }
  }

  function tryTyped(): Promise<void> {
    const typed = Object.fromEntries(
      columns.map((c) => {
        const v = (values[c.name] ?? '').trim()
        return [c.name, v === '' ? null : c.type === 'numeric' ? Number(v) : v]
      }),
    )
    const bad = columns.find((c) => c.type === 'numeric' && typed[c.name] !== null && !Number.isFinite(typed[c.name]))
    if (bad) {
      setProblem(`${bad.name} must be a number, not “${values[bad.name]}”`)
      return Promise.resolve()
    }
    return run(() => api.call('runs.tryRow', { runId, values: typed }))
  }

  function tryTestRow(): Promise<void> {
    const index = next % Math.max(1, testCount)
    setNext(index + 1)
    return run(async () => {
      const row = (await api.call('runs.predictions', { runId, split: 'test', offset: index, limit: 1 })).items[0]
      if (!row) throw new Error('This run has no test rows to try')
      const r = await api.call('runs.tryRow', { runId, sampleId: row.sampleId })
      setValues(Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, v === null ? '' : String(v)])))
      return r
    })
  }

  return (
    <div className="card try-it" data-testid="try-row">
      <h3>Try it</h3>
      <form
        className="form-grid try-row-form"
        onSubmit={(e) => {
          e.preventDefault()
          void tryTyped()
        }}
      >
        {columns.map((c) => (
          <label key={c.name}>
            {c.name}
            <input
              value={values[c.name] ?? ''}
              inputMode={c.type === 'numeric' ? 'decimal' : 'text'}
              placeholder={c.type === 'numeric' ? 'number (empty = average)' : 'category'}
              onChange={(e) => setValues({ ...values, [c.name]: e.target.value })}
              data-testid={`try-value-${c.name}`}
            />
          </label>
        ))}
        <div className="row">
          <button className="button primary" type="submit" disabled={busy} data-testid="try-row-predict">
            Predict
          </button>
          <button
            className="button"
            type="button"
            onClick={() => void tryTestRow()}
            disabled={busy || testCount === 0}
            data-testid="try-test-row"
          >
            {next === 0 ? 'Pick a test row' : 'Next test row'}
          </button>
        </div>
      </form>
      <div className="try-side">
        <p className="muted">
          The values are encoded exactly as in training (numbers standardised with the training split, categories
          one-hot).
        </p>
        <TryStatus busy={busy} problem={problem} />
        {result && !busy && result.value !== null && (
          <p data-testid="try-summary">
            Predicted <strong data-testid="try-predicted">{roundForPeople(result.value)}</strong>
            {result.trueValue !== null && <> · actual {result.trueValue}</>}
          </p>
        )}
        {result && !busy && result.predicted !== null && (
          <ClassPrediction predicted={result.predicted} trueClass={result.trueClass} classes={result.classes} />
        )}
      </div>
    </div>
  )
}
