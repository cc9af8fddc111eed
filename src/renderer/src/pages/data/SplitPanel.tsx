/** Train/validation/test split (ratios and seed), the counts per class and split, warnings, and dataset versions. */
import { useEffect, useState } from 'react'
import type { DatasetSummary, DatasetVersion, Split } from '../../../../shared/contract'
import { api } from '../../api'
import { capitalized, versionName } from '../../../../shared/words'

interface Props {
  dataset: DatasetSummary
  onError: (err: unknown) => void
  onMessage: (message: string) => void
}

const splitNames: Array<Split | 'none'> = ['train', 'validation', 'test', 'none']
const splitLabels: Record<Split | 'none', string> = {
  train: 'Train',
  validation: 'Val.',
  test: 'Test',
  none: 'No split',
}

export function SplitPanel({ dataset, onError, onMessage }: Props): React.JSX.Element {
  const initial = dataset.split ?? { train: 0.8, validation: 0.1, test: 0.1, seed: 42, mode: 'ratio' as const }
  const [train, setTrain] = useState(Math.round(initial.train * 100))
  const [validation, setValidation] = useState(Math.round(initial.validation * 100))
  const [seed, setSeed] = useState(initial.seed)
  const [versions, setVersions] = useState<DatasetVersion[]>([])
  const [busy, setBusy] = useState(false)
  const test = 100 - train - validation
  const invalid =
    train <= 0 || validation < 0 || test < 0 ? 'The three parts must be between 0 and 100% and add up to 100%.' : null
  const folderSplit = dataset.split?.mode === 'folders'

  useEffect(() => {
    let live = true
    api.call('datasets.listVersions', { datasetId: dataset.id }).then((v) => live && setVersions(v), onError)
    return () => {
      live = false
    }
  }, [dataset.id, dataset.total, onError])

  async function apply(): Promise<void> {
    setBusy(true)
    try {
      await api.call('datasets.split', {
        datasetId: dataset.id,
        train: train / 100,
        validation: validation / 100,
        test: test / 100,
        seed,
      })
      onMessage(`Split ${train}/${validation}/${test} with seed ${seed}`)
    } catch (err) {
      onError(err)
    } finally {
      setBusy(false)
    }
  }

  async function freeze(): Promise<void> {
    setBusy(true)
    try {
      const v = await api.call('datasets.freezeVersion', { datasetId: dataset.id })
      onMessage(
        v.reused
          ? `Nothing changed since ${versionName(v.number)}; training will use it.`
          : `Froze ${versionName(v.number)} (${v.sampleCount.toLocaleString()} examples).`,
      )
      setVersions(await api.call('datasets.listVersions', { datasetId: dataset.id }))
    } catch (err) {
      onError(err)
    } finally {
      setBusy(false)
    }
  }

  const classRows = [
    ...dataset.classes.map((c) => ({
      key: String(c.id),
      name: c.name,
      color: c.color,
      counts: dataset.counts.find((k) => k.classId === c.id),
    })),
    { key: 'none', name: 'Unlabeled', color: '', counts: dataset.counts.find((k) => k.classId === null) },
  ].filter((r) => r.counts)
  const totals = splitNames.map((s) => dataset.counts.reduce((sum, k) => sum + k[s], 0))

  return (
    <aside className="panel split-panel" aria-label="Split and versions" data-testid="split-panel">
      <h2>Split</h2>
      {folderSplit && (
        <p className="muted small">
          Train and test come from the train/ and test/ folders; the ratios below apply to the other examples.
        </p>
      )}
      <div className="split-form">
        <label>
          Train %
          <input
            type="number"
            min={1}
            max={100}
            value={train}
            onChange={(e) => setTrain(Number(e.target.value))}
            data-testid="split-train"
          />
        </label>
        <label>
          Val. %
          <input
            type="number"
            min={0}
            max={99}
            value={validation}
            onChange={(e) => setValidation(Number(e.target.value))}
            data-testid="split-validation"
          />
        </label>
        <label>
          Test %
          <input type="number" value={test} readOnly aria-readonly tabIndex={-1} />
        </label>
        <label>
          Seed
          <input
            type="number"
            min={0}
            value={seed}
            onChange={(e) => setSeed(Math.max(0, Math.floor(Number(e.target.value))))}
          />
        </label>
      </div>
      {invalid && (
        <p className="field-error" role="alert">
          {invalid}
        </p>
      )}
      <button
        className="button"
        onClick={() => void apply()}
        disabled={busy || invalid !== null}
        data-testid="apply-split"
      >
        Apply split
      </button>
      <table className="counts-table" data-testid="counts-table">
        <thead>
          <tr>
            <th>Class</th>
            {splitNames.map((s) => (
              <th key={s}>{splitLabels[s]}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {classRows.map((r) => (
            <tr key={r.key}>
              <td>
                {r.color && <span className="dot" style={{ background: r.color }} />}
                {r.name}
              </td>
              {splitNames.map((s) => (
                <td key={s}>{(r.counts?.[s] ?? 0).toLocaleString()}</td>
              ))}
            </tr>
          ))}
          <tr className="total">
            <td>Total</td>
            {totals.map((t, i) => (
              <td key={splitNames[i]}>{t.toLocaleString()}</td>
            ))}
          </tr>
        </tbody>
      </table>
      {dataset.warnings.length > 0 && (
        <ul className="warnings" data-testid="dataset-warnings">
          {dataset.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <h2>Versions</h2>
      <p className="muted small">
        Training always uses a frozen, immutable version. Unchanged data reuses the last one.
      </p>
      <button
        className="button primary"
        onClick={() => void freeze()}
        disabled={busy || dataset.labeled === 0}
        data-testid="freeze-version"
      >
        Freeze version
      </button>
      <ul className="versions" data-testid="versions">
        {versions.map((v) => (
          <li key={v.id}>
            <strong>{capitalized(versionName(v.number))}</strong>{' '}
            <code title={`Content hash ${v.hash}`}>{v.hash.slice(0, 8)}</code>
            <span className="muted small">
              {' '}
              {v.sampleCount.toLocaleString()} examples · {v.counts.train}/{v.counts.validation}/{v.counts.test}
            </span>
          </li>
        ))}
        {versions.length === 0 && <li className="muted small">No versions yet.</li>}
      </ul>
    </aside>
  )
}
