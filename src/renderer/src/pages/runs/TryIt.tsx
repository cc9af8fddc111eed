/** "Try it": drop an image or pick a test image, and see the run's class probabilities. */
import { useEffect, useRef, useState } from 'react'
import { maxTryImageBytes, type TryImageResult } from '../../../../shared/training'
import { api } from '../../api'
import { percent } from '../../format'
import { messageOf } from '../../../../shared/messages'
import { readAsBase64 } from '../../read-base64'

interface Props {
  runId: string
  /** How many test predictions the run stored, to step through them. */
  testCount: number
}

export function TryIt({ runId, testCount }: Props): React.JSX.Element {
  const [result, setResult] = useState<TryImageResult | null>(null)
  const [preview, setPreview] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [next, setNext] = useState(0)
  const [dragging, setDragging] = useState(false)
  const picker = useRef<HTMLInputElement>(null)

  // A dropped file is previewed through an object URL; release it when the preview changes or the panel closes.
  useEffect(() => {
    return () => {
      if (preview?.startsWith('blob:')) URL.revokeObjectURL(preview)
    }
  }, [preview])

  async function run(work: () => Promise<TryImageResult>, file: File | null): Promise<void> {
    setBusy(true)
    setProblem(null)
    try {
      const r = await work()
      setResult(r)
      setPreview(r.sampleHash ? api.mediaUrl('thumbs', r.sampleHash) : file ? URL.createObjectURL(file) : null)
    } catch (err) {
      setProblem(messageOf(err))
    } finally {
      setBusy(false)
    }
  }

  async function tryFile(file: File): Promise<void> {
    if (file.size > maxTryImageBytes) {
      setProblem(
        `${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB; try an image under ${maxTryImageBytes / 1024} KB`,
      )
      return
    }
    await run(
      async () =>
        api.call('runs.tryImage', { runId, imageBase64: await readAsBase64(file, file.name), fileName: file.name }),
      file,
    )
  }

  async function tryTestImage(): Promise<void> {
    const index = next % Math.max(1, testCount)
    setNext(index + 1)
    await run(async () => {
      const row = (await api.call('runs.predictions', { runId, split: 'test', offset: index, limit: 1 })).items[0]
      if (!row) throw new Error('This run has no test images to try')
      return api.call('runs.tryImage', { runId, sampleId: row.sampleId })
    }, null)
  }

  return (
    <div className="card try-it" data-testid="try-it">
      <h3>Try it</h3>
      <div
        className={`try-drop${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault()
          setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault()
          setDragging(false)
          const file = e.dataTransfer.files[0]
          if (file) void tryFile(file)
        }}
      >
        {preview ? (
          <img src={preview} alt="The image tried" className="try-image pixelated" data-testid="try-image" />
        ) : (
          <span className="muted">Drop an image here</span>
        )}
      </div>
      <div className="try-side">
        <p className="muted">
          The image is resized and converted exactly as the training images were, then the run's final model predicts
          it.
        </p>
        <div className="row">
          <button className="button" onClick={() => picker.current?.click()} disabled={busy} data-testid="try-choose">
            Choose an image…
          </button>
          <button
            className="button"
            onClick={() => void tryTestImage()}
            disabled={busy || testCount === 0}
            data-testid="try-test-image"
          >
            {next === 0 ? 'Pick a test image' : 'Next test image'}
          </button>
          <input
            ref={picker}
            type="file"
            accept="image/*"
            hidden
            onChange={(e) => {
              const file = e.target.files?.[0]
              e.target.value = ''
              if (file) void tryFile(file)
            }}
            data-testid="try-file"
          />
        </div>
        <TryStatus busy={busy} problem={problem} />
        {result && !busy && result.unusual.length > 0 && (
          <div className="banner warning" role="alert" data-testid="try-unusual">
            This image looks unlike the images the model trained on: it is {result.unusual.join('; ')}. The answer below
            may well be wrong — the model has not seen images like it. Try one that looks like the training images, or
            add images like this one to the data.
          </div>
        )}
        {result && !busy && (
          <ClassPrediction predicted={result.predicted} trueClass={result.trueClass} classes={result.classes} />
        )}
        {result && !busy && (
          <figure className="try-seen" data-testid="try-seen">
            <img
              src={`data:image/png;base64,${result.seen.pngBase64}`}
              alt="The image as the model sees it"
              className="pixelated"
              width={96}
              height={96}
            />
            <figcaption className="muted small">
              What the model sees: {result.seen.width}×{result.seen.height}{' '}
              {result.seen.channels === 1 ? 'grey' : 'colour'} pixels, {result.seen.scaling}
            </figcaption>
          </figure>
        )}
      </div>
    </div>
  )
}

/** "Predicting…" while busy, and the reason a try failed. */
export function TryStatus({ busy, problem }: { busy: boolean; problem: string | null }): React.JSX.Element {
  return (
    <>
      {busy && (
        <p className="muted" role="status">
          Predicting…
        </p>
      )}
      {problem && (
        <p className="field-error" role="alert" data-testid="try-error">
          {problem}
        </p>
      )}
    </>
  )
}

/** A classifier's answer: the predicted class (and the label, when known) and every class's probability, most likely first. */
export function ClassPrediction({
  predicted,
  trueClass,
  classes,
}: {
  predicted: string
  trueClass: string | null
  classes: Array<{ name: string; probability: number }>
}): React.JSX.Element {
  const ranked = [...classes].sort((a, b) => b.probability - a.probability)
  return (
    <>
      <p data-testid="try-summary">
        Predicted <strong data-testid="try-predicted">{predicted}</strong> ({percent(ranked[0]?.probability ?? 0)})
        {trueClass !== null && (
          <>
            {' '}
            · labeled <strong data-testid="try-true">{trueClass}</strong>
          </>
        )}
      </p>
      <ul className="try-bars" aria-label="Class probabilities">
        {ranked.map((c) => (
          <li key={c.name} className={c.name === predicted ? 'top' : ''} data-testid="try-bar">
            <span className="try-name">{c.name}</span>
            <span className="try-track">
              <span className="try-fill" style={{ width: `${(c.probability * 100).toFixed(2)}%` }} />
            </span>
            <span className="try-value">{percent(c.probability)}</span>
          </li>
        ))}
      </ul>
    </>
  )
}
