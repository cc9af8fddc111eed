/** The settings form of the selected layer: an editor per setting, refusing invalid values at the field with the reason. */
import { useState } from 'react'
import { backboneIds, backbones, type BackboneInfo } from '../../../../shared/model/backbones'
import { activations, initializers, layerActivations, type LayerSpec } from '../../../../shared/model/types'

const help: Record<string, { label: string; tip: string; unit?: string }> = {
  filters: { label: 'Filters', tip: 'How many different patterns this layer learns to detect.' },
  kernelSize: { label: 'Kernel size', tip: 'Size of each filter window (height × width).', unit: 'px' },
  strides: { label: 'Strides', tip: 'How far the window moves at each step; 2 halves the size.', unit: 'px' },
  padding: { label: 'Padding', tip: '“same” pads the edges so the size is kept; “valid” does not pad.' },
  activation: {
    label: 'Activation',
    tip: 'The function applied to each output: relu for hidden layers, softmax or sigmoid for outputs.',
  },
  useBias: { label: 'Use bias', tip: 'Adds a learned offset to each output.' },
  kernelInitializer: {
    label: 'Initial weights',
    tip: 'How the weights are drawn before training (Glorot uniform is the Keras default; He suits relu).',
  },
  units: { label: 'Units', tip: 'How many outputs this layer has. For the last layer: one per class.' },
  rate: { label: 'Rate', tip: 'Share of values switched off at random while training (0.5 = half).' },
  poolSize: { label: 'Pool size', tip: 'Size of the window that is shrunk to one value.', unit: 'px' },
  scale: { label: 'Scale', tip: 'Every input is multiplied by this (1/255 ≈ 0.00392 turns 0–255 pixels into 0–1).' },
  offset: { label: 'Offset', tip: 'Added to every input after scaling.' },
  momentum: { label: 'Momentum', tip: 'How slowly the running mean and variance follow new batches.' },
  epsilon: { label: 'Epsilon', tip: 'A small number that keeps the division stable.' },
  backbone: { label: 'Backbone', tip: 'The pretrained network; its source, licence and limits are below.' },
  trainableBlocks: {
    label: 'Trainable blocks',
    tip: '0 keeps the backbone frozen: its features are computed once and each epoch trains only the layers after it (seconds). 1 or more fine-tunes its last blocks too: every epoch runs them forward and backward, several times slower, often a little more accurate.',
  },
}

const choices: Record<string, readonly string[]> = {
  padding: ['valid', 'same'],
  kernelInitializer: initializers,
  backbone: backboneIds,
}

interface Props {
  layer: LayerSpec
  index: number
  onChange: (patch: Record<string, unknown>) => string | null
}

export function LayerSettings({ layer, index, onChange }: Props): React.JSX.Element {
  const config = layer.config as Record<string, unknown>
  const keys = Object.keys(config)
  return (
    <div className="layer-settings" data-testid="layer-settings">
      <h2>
        {index + 1}. {layer.type}
      </h2>
      {keys.length === 0 && <p className="muted small">This layer has no settings.</p>}
      {keys.map((key) => (
        <Field key={`${index}-${key}`} name={key} value={config[key]} layer={layer} onChange={onChange} />
      ))}
      {layer.type === 'Pretrained' && (
        <BackboneAbout info={backbones[layer.config.backbone]} trainableBlocks={layer.config.trainableBlocks} />
      )}
    </div>
  )
}

function Field({
  name,
  value,
  layer,
  onChange,
}: {
  name: string
  value: unknown
  layer: LayerSpec
  onChange: Props['onChange']
}): React.JSX.Element {
  const [draft, setDraft] = useState<string[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const meta = help[name] ?? { label: name, tip: '' }
  const commit = (v: unknown): void => setError(onChange({ [name]: v }))
  const options = name === 'activation' ? (layer.type === 'Activation' ? layerActivations : activations) : choices[name]
  let editor: React.ReactNode
  if (typeof value === 'boolean') {
    editor = (
      <input type="checkbox" checked={value} onChange={(e) => commit(e.target.checked)} aria-label={meta.label} />
    )
  } else if (options) {
    editor = (
      <select
        value={String(value)}
        onChange={(e) => commit(e.target.value)}
        aria-label={meta.label}
        data-testid={`setting-${name}`}
      >
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    )
  } else if (Array.isArray(value) || (name === 'strides' && value === null)) {
    const pair = (draft ?? (value === null ? ['', ''] : (value as number[]).map(String))) as [string, string]
    editor = (
      <span className="pair">
        {name === 'strides' && layer.type !== 'Conv2D' && (
          <label className="small">
            <input
              type="checkbox"
              checked={value === null}
              onChange={(e) => commit(e.target.checked ? null : [2, 2])}
            />{' '}
            same as pool size
          </label>
        )}
        {value !== null &&
          [0, 1].map((i) => (
            <input
              key={i}
              type="number"
              value={pair[i]}
              aria-label={`${meta.label} ${i === 0 ? 'height' : 'width'}`}
              data-testid={`setting-${name}-${i}`}
              aria-invalid={error !== null}
              onChange={(e) => {
                const next: [string, string] = [...pair]
                next[i] = e.target.value
                setDraft(next)
                const err = onChange({ [name]: next.map(Number) })
                setError(err)
                if (!err) setDraft(null)
              }}
            />
          ))}
      </span>
    )
  } else {
    const text = draft?.[0] ?? String(value)
    editor = (
      <input
        type="number"
        step="any"
        value={text}
        aria-label={meta.label}
        aria-invalid={error !== null}
        data-testid={`setting-${name}`}
        onChange={(e) => {
          setDraft([e.target.value])
          const err = onChange({ [name]: e.target.value === '' ? Number.NaN : Number(e.target.value) })
          setError(err)
          if (!err) setDraft(null)
        }}
      />
    )
  }
  return (
    <div className="setting">
      <label title={meta.tip}>
        <span className="setting-name">
          {meta.label}
          {meta.unit && <span className="muted small"> ({meta.unit})</span>}
        </span>
        {editor}
      </label>
      {meta.tip && <p className="muted small setting-tip">{meta.tip}</p>}
      {error && (
        <p className="field-error" role="alert" data-testid={`setting-error-${name}`}>
          {error}
        </p>
      )}
    </div>
  )
}

/** Where a backbone comes from and what it is not good at, beside its settings. */
function BackboneAbout({ info, trainableBlocks }: { info: BackboneInfo; trainableBlocks: number }): React.JSX.Element {
  const open = info.blocks.slice(info.blocks.length - trainableBlocks).map((b) => b.name)
  return (
    <div className="backbone-about small" data-testid="backbone-about">
      <p>
        <strong>{info.label}</strong> · input {info.inputShape.join('×')} · {info.features.toLocaleString()} features ·{' '}
        {trainableBlocks === 0 ? 'frozen' : `fine-tuning ${open.join(', ')}`}
      </p>
      <p>
        <strong>Source.</strong> {info.source}
      </p>
      <p>
        <strong>Licence.</strong> {info.licence}
      </p>
      <p>
        <strong>Limits.</strong> {info.limits}
      </p>
    </div>
  )
}
