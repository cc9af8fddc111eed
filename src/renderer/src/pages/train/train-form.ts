/**
 * The Train page's settings as one value: what the user sets before Start, kept per project as a draft
 * (`projects.saveDrafts`) so leaving the page, or the app, loses nothing. `restoreTrainForm` takes back only
 * fields of the right type, so a draft from an older version never breaks the page.
 */
export interface TrainForm {
  /** 'draft' (the model on the Model page, or the suggested one) or a saved architecture's id. */
  modelChoice: string
  hp: { optimizer: string; learningRate: number; batchSize: number; epochs: number; normalization: string }
  seed: number
  early: { on: boolean; metric: 'val_loss' | 'val_accuracy'; patience: number }
  aug: { flip: string; rotation: number; zoom: number; brightness: number }
  initializer: string
  folds: number
}

export function defaultTrainForm(random: () => number = Math.random): TrainForm {
  return {
    modelChoice: 'draft',
    hp: { optimizer: 'adam', learningRate: 0.001, batchSize: 32, epochs: 5, normalization: 'rescale' },
    seed: Math.floor(random() * 100000),
    early: { on: false, metric: 'val_loss', patience: 3 },
    aug: { flip: 'none', rotation: 0, zoom: 0, brightness: 0 },
    initializer: 'perLayer',
    folds: 0,
  }
}

type Plain = Record<string, unknown>

const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `base` with each of its fields replaced by the saved one where that has the same type (objects field by field). */
function sameShape<T>(base: T, saved: unknown): T {
  if (isPlain(base)) {
    if (!isPlain(saved)) return base
    return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, sameShape(v, saved[k])])) as T
  }
  if (typeof base === 'number') return (typeof saved === 'number' && Number.isFinite(saved) ? saved : base) as T
  return (typeof saved === typeof base ? saved : base) as T
}

export function restoreTrainForm(saved: unknown, defaults: TrainForm = defaultTrainForm()): TrainForm {
  const form = sameShape(defaults, saved)
  if (form.early.metric !== 'val_loss' && form.early.metric !== 'val_accuracy')
    form.early.metric = defaults.early.metric
  return form
}
