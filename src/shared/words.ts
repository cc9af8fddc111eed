/**
 * Settings, metrics, numbers and dataset versions as people read them, the same on every page and in
 * the model card: "learning rate", "layer 4 · units", "validation accuracy", 0.00576, "data version 3".
 */

const settingWords: Record<string, string> = {
  learningRate: 'learning rate',
  batchSize: 'batch size',
  epochs: 'epochs',
  optimizer: 'optimizer',
  momentum: 'momentum',
  normalization: 'pixel scaling',
  initializer: 'initial weights',
  seed: 'seed',
  'augmentation.flip': 'flip',
  'augmentation.rotation': 'rotation (±°)',
  'augmentation.zoom': 'zoom (±)',
  'augmentation.brightness': 'brightness (±)',
  'earlyStopping.metric': 'stop early on',
  'earlyStopping.patience': 'stop early after (epochs)',
  'earlyStopping.restoreBest': 'keep the best epoch',
  earlyStopping: 'stop early',
  present: 'present',
  kernelSize: 'kernel size',
  poolSize: 'pool size',
  rate: 'dropout rate',
  trainableBlocks: 'fine-tuned blocks',
  useBias: 'bias',
}

/** camelCase as words: "kernelSize" → "kernel size". */
const spaced = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()

/**
 * A setting's name for people: a sweep path (`learningRate`, `layers.3.units`) or a compared setting
 * (`layer 4 Dense.units`) becomes "learning rate" or "layer 4 · units".
 */
export function settingLabel(path: string): string {
  const swept = /^layers\.(\d+)\.(\w+)$/.exec(path)
  if (swept) return `layer ${Number(swept[1]) + 1} · ${settingWords[swept[2]!] ?? spaced(swept[2]!)}`
  const compared = /^layer (\d+) (\w+)\.(\w+)$/.exec(path)
  if (compared) return `layer ${compared[1]} ${compared[2]} · ${settingWords[compared[3]!] ?? spaced(compared[3]!)}`
  return settingWords[path] ?? path.split('.').map(spaced).join(' · ')
}

const metricWords: Record<string, string> = {
  val_accuracy: 'validation accuracy',
  val_loss: 'validation loss',
  accuracy: 'training accuracy',
  loss: 'training loss',
  'batch/loss': 'training loss per batch',
  'batch/accuracy': 'training accuracy per batch',
  val_mae: 'validation mean absolute error',
  mae: 'training mean absolute error',
}

export function metricLabel(key: string): string {
  return metricWords[key] ?? key.replace(/_/g, ' ')
}

/** Accuracies (fractions) are shown as percentages; every other metric as a rounded number. */
export const isFraction = (key: string): boolean => /accuracy|f1|precision|recall/.test(key)

/**
 * A number rounded for people: three significant digits (0.005758735 → 0.00576, 1234.56 → 1,235),
 * thousands separated, and no "Infinity" or "NaN" (a dash instead).
 */
export function roundForPeople(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  if (v === 0) return '0'
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en')
  if (Math.abs(v) < 0.0001) return v.toExponential(1)
  return String(Number(v.toPrecision(3)))
}

/** A fraction as a percentage with one decimal ("96.8 %"); a dash when there is no value. */
export function percent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(1)} %`
}

/** A metric's value as shown: percent for an accuracy, rounded otherwise. */
export function formatMetric(key: string, v: number | null | undefined): string {
  return isFraction(key) ? percent(v) : roundForPeople(v)
}

/** A setting's value as shown: numbers rounded, true/false in words, lists as 3×3. */
export function formatSetting(v: unknown): string {
  if (typeof v === 'number') return roundForPeople(v)
  if (typeof v === 'boolean') return v ? 'yes' : 'no'
  if (Array.isArray(v)) return v.join('×')
  if (v === null || v === undefined) return '—'
  const s = String(v)
  // A number that arrived as text (the compared settings are strings).
  return /^-?\d+(\.\d+)?(e-?\d+)?$/.test(s)
    ? roundForPeople(Number(s))
    : s === 'true'
      ? 'yes'
      : s === 'false'
        ? 'no'
        : s
}

/** "data version 3" at the start of a sentence or a list item. */
export const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

/** One name for a dataset version everywhere: the Data page, Train, the runs, the receipt and the model card. */
export const versionName = (n: number): string => `data version ${n}`

/**
 * The index of the single best value (highest, or lowest when `lowerIsBetter`), or -1 when there is none or
 * the best is tied: a tie is not marked as better.
 */
export function bestIndex(values: ReadonlyArray<number | null | undefined>, lowerIsBetter = false): number {
  const present = values
    .map((v, i) => ({ v, i }))
    .filter((x): x is { v: number; i: number } => typeof x.v === 'number' && Number.isFinite(x.v))
  if (present.length < 2) return -1
  const best = lowerIsBetter ? Math.min(...present.map((x) => x.v)) : Math.max(...present.map((x) => x.v))
  const at = present.filter((x) => Math.abs(x.v - best) < 1e-9)
  return at.length === 1 ? at[0]!.i : -1
}
