/**
 * The error gallery: a run's mistakes on a split, most confident first (the surest mistakes are often
 * wrong labels). Keys on a focused example: 1–9 relabel it with that class (the dataset changes, so the
 * next run trains on a new version), C marks it as checked.
 */
import { useCallback, useEffect, useState } from 'react'
import type { ClassInfo } from '../../../../shared/contract'
import type { PredictionExample } from '../../../../shared/training'
import { api } from '../../api'
import { classForKey, classKeys } from '../../class-keys'

interface Props {
  runId: string
  split: 'validation' | 'test'
  classes: ClassInfo[]
  cell: { trueIndex: number; predictedIndex: number } | null
  onClearCell: () => void
  onError: (err: unknown) => void
}

export function ErrorGallery({ runId, split, classes, cell, onClearCell, onError }: Props): React.JSX.Element {
  const [data, setData] = useState<{ items: PredictionExample[]; total: number; classNames: string[] } | null>(null)
  const [done, setDone] = useState<Map<number, string>>(() => new Map())

  const load = useCallback(() => {
    api
      .call('runs.examples', {
        runId,
        split,
        ...(cell ? { trueIndex: cell.trueIndex, predictedIndex: cell.predictedIndex, includeChecked: true } : {}),
        limit: 60,
      })
      .then(setData, onError)
  }, [runId, split, cell, onError])
  useEffect(load, [load])

  if (!data) return <p className="muted">Loading examples…</p>
  const classByName = new Map(classes.map((c) => [c.name, c]))

  async function relabel(ex: PredictionExample, classId: number, name: string): Promise<void> {
    try {
      await api.call('samples.setLabels', { labels: [{ sampleId: ex.sampleId, classId }] })
      await api.call('runs.markChecked', { runId, split, sampleId: ex.sampleId, checked: true })
      setDone((d) => new Map(d).set(ex.sampleId, `relabeled as ${name}`))
    } catch (err) {
      onError(err)
    }
  }

  async function check(ex: PredictionExample): Promise<void> {
    try {
      await api.call('runs.markChecked', { runId, split, sampleId: ex.sampleId, checked: true })
      setDone((d) => new Map(d).set(ex.sampleId, 'checked'))
    } catch (err) {
      onError(err)
    }
  }

  const title = cell
    ? `${data.classNames[cell.trueIndex]} predicted as ${data.classNames[cell.predictedIndex]}`
    : `Mistakes on ${split}, most confident first`
  return (
    <div className="card gallery" data-testid="error-gallery">
      <div className="row-between">
        <h3>
          {title} <span className="muted small">({data.total.toLocaleString()})</span>
        </h3>
        {cell && (
          <button className="button link" onClick={onClearCell}>
            Show all mistakes
          </button>
        )}
      </div>
      <p className="muted small">
        Focus an example and press a number to give it that class (
        {classKeys(classes)
          .map((k) => `${k.key}→${k.cls.name}`)
          .join(', ')}
        ), or C if its label is right.
      </p>
      {data.items.length === 0 && <p className="muted">Nothing to show here.</p>}
      <div className="gallery-grid">
        {data.items.map((ex) => {
          const state = done.get(ex.sampleId)
          return (
            <div
              key={ex.sampleId}
              className={`example${state ? ' done' : ''}${ex.values ? ' table-row' : ''}`}
              tabIndex={0}
              data-testid="example"
              onKeyDown={(e) => {
                if (/^[0-9]$/.test(e.key)) {
                  const c = classForKey(classes, e.key)
                  if (c) void relabel(ex, c.id, c.name)
                } else if (e.key.toLowerCase() === 'c') void check(ex)
                else return
                e.preventDefault()
              }}
            >
              {ex.values ? (
                <dl className="example-values" data-testid="example-values" aria-label={ex.name}>
                  {Object.entries(ex.values).map(([column, v]) => (
                    <div key={column}>
                      <dt>{column}</dt>
                      <dd>{v === null ? '—' : String(v)}</dd>
                    </div>
                  ))}
                </dl>
              ) : (
                <img src={api.mediaUrl('thumbs', ex.hash)} alt={ex.name} className="thumb pixelated" loading="lazy" />
              )}
              <div className="small">
                <div>
                  true <strong>{data.classNames[ex.trueIndex]}</strong>
                </div>
                <div>
                  predicted <strong className="wrong">{data.classNames[ex.predictedIndex]}</strong>{' '}
                  {(ex.confidence * 100).toFixed(0)} %
                </div>
                {state ? (
                  <div className="done-note" data-testid="example-state">
                    {state}
                  </div>
                ) : (
                  <div className="row">
                    <button className="button link" onClick={() => void check(ex)}>
                      Label is right
                    </button>
                    {classByName.has(data.classNames[ex.predictedIndex]!) && (
                      <button
                        className="button link"
                        onClick={() =>
                          void relabel(
                            ex,
                            classByName.get(data.classNames[ex.predictedIndex]!)!.id,
                            data.classNames[ex.predictedIndex]!,
                          )
                        }
                      >
                        It is {data.classNames[ex.predictedIndex]}
                      </button>
                    )}
                  </div>
                )}
              </div>
            </div>
          )
        })}
      </div>
    </div>
  )
}
