/** A live preview of augmentation: a few training images at the model's input size, each drawn three times. */
import { useEffect, useState } from 'react'
import type { ModelSpec } from '../../../../shared/model/types'
import type { Hyperparameters } from '../../../../shared/training'
import { api } from '../../api'
import { messageOf } from '../../../../shared/messages'

interface Props {
  projectId: string
  spec: ModelSpec | null
  augmentation: { flip: string; rotation: number; zoom: number; brightness: number }
  seed: number
}

export function AugmentationPreview({ projectId, spec, augmentation, seed }: Props): React.JSX.Element | null {
  const [images, setImages] = useState<Array<{ original: string; augmented: string[] }> | null>(null)
  const [error, setError] = useState<string | null>(null)
  const shape = spec?.inputShape
  const key = JSON.stringify([shape, augmentation, seed])

  useEffect(() => {
    if (!shape || shape.length !== 3) return
    let live = true
    // Wait for the typing to settle before asking the core to draw.
    const timer = setTimeout(() => {
      api
        .call('datasets.previewAugmentation', {
          projectId,
          inputShape: [...shape],
          augmentation: augmentation as Hyperparameters['augmentation'],
          seed,
        })
        .then(
          (r) => {
            if (!live) return
            setImages(r)
            setError(null)
          },
          (err: unknown) => live && setError(messageOf(err)),
        )
    }, 400)
    return () => {
      live = false
      clearTimeout(timer)
    }
    // The key stands for shape, augmentation and seed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, projectId])

  if (!shape || shape.length !== 3) return null
  return (
    <div className="aug-preview" data-testid="augmentation-preview">
      <p className="muted small">Preview: each image as training will see it (original, then three random draws).</p>
      {error && <p className="field-error">{error}</p>}
      {images?.slice(0, 4).map((img, i) => (
        <div key={i} className="aug-row">
          <img src={img.original} alt="original" />
          {img.augmented.map((src, j) => (
            <img key={j} src={src} alt="augmented" />
          ))}
        </div>
      ))}
    </div>
  )
}
