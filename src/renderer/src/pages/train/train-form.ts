/**
 * The Train page's settings as one value and its reducer, free of React: what the user sets before Start,
 * typed as the contract's hyperparameters, with the defaults taken from the contract's schema (not written
 * out again here). Kept per project as a draft (`projects.saveDrafts`) so leaving the page, or the app,
 * loses nothing; `restoreTrainForm` takes back only fields of the right type and value, so a draft from
 * an older version never breaks the page.
 */
import { hyperparametersSchema, type Hyperparameters, type HyperparametersInput } from '../../../../shared/training'

type EarlyMetric = NonNullable<Hyperparameters['earlyStopping']>['metric']

// A type, not an interface: a draft is kept as a plain record (Record<string, unknown>).
export type TrainForm = {
  /** 'draft' (the model on the Model page, or the suggested one) or a saved architecture's id. */
  modelChoice: string
  hp: Pick<Hyperparameters, 'optimizer' | 'learningRate' | 'batchSize' | 'epochs' | 'normalization'>
  seed: number
  /** Early stopping: off, or on with its metric and patience (kept while off, for when it is turned on). */
  early: { on: boolean; metric: EarlyMetric; patience: number }
  aug: Hyperparameters['augmentation']
  initializer: Hyperparameters['initializer']
  /** 0 for one run, else a k-fold cross-validation. */
  folds: number
  /** Where it trains: '' for this computer, else a cluster profile's id. */
  target: string
}

export type TrainFormAction =
  /** One or more sections as the user set them. */
  | { type: 'set'; patch: Partial<TrainForm> }
  /** A kept draft, read back over the current form. */
  | { type: 'restore'; saved: unknown }
  /** Settings from elsewhere ("Use best settings" of a sweep); the model becomes the page's draft. */
  | { type: 'useHyperparameters'; hyperparameters: HyperparametersInput }

/** The schema's defaults, and early stopping's for when it is turned on. */
const schemaDefaults = hyperparametersSchema.parse({})
const earlyDefaults = hyperparametersSchema.parse({ earlyStopping: {} }).earlyStopping!

export function defaultTrainForm(random: () => number = Math.random): TrainForm {
  return fromHyperparameters(schemaDefaults, {
    modelChoice: 'draft',
    seed: Math.floor(random() * 100000),
    folds: 0,
    target: '',
  })
}

/** The form for these hyperparameters (the schema fills what they leave out). */
function fromHyperparameters(
  input: HyperparametersInput,
  rest: Pick<TrainForm, 'modelChoice' | 'seed' | 'folds' | 'target'>,
): TrainForm {
  const h = hyperparametersSchema.parse(input)
  return {
    ...rest,
    hp: {
      optimizer: h.optimizer,
      learningRate: h.learningRate,
      batchSize: h.batchSize,
      epochs: h.epochs,
      normalization: h.normalization,
    },
    early: h.earlyStopping
      ? { on: true, metric: h.earlyStopping.metric, patience: h.earlyStopping.patience }
      : { on: false, metric: earlyDefaults.metric, patience: earlyDefaults.patience },
    aug: h.augmentation,
    initializer: h.initializer,
  }
}

/** What Start sends: the form as the contract's hyperparameters. */
export function toHyperparameters(form: TrainForm): HyperparametersInput {
  return {
    ...form.hp,
    augmentation: form.aug,
    earlyStopping: form.early.on
      ? { metric: form.early.metric, patience: form.early.patience, restoreBest: true }
      : null,
    initializer: form.initializer,
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
  // A value the schema no longer accepts (an optimizer since removed, say) falls back field by field.
  const hp = hyperparametersSchema.shape
  if (!hp.optimizer.safeParse(form.hp.optimizer).success) form.hp.optimizer = defaults.hp.optimizer
  if (!hp.normalization.safeParse(form.hp.normalization).success) form.hp.normalization = defaults.hp.normalization
  if (!hp.initializer.safeParse(form.initializer).success) form.initializer = defaults.initializer
  if (!hp.augmentation.safeParse(form.aug).success) form.aug = defaults.aug
  if (form.early.metric !== 'val_loss' && form.early.metric !== 'val_accuracy')
    form.early.metric = defaults.early.metric
  return form
}

export function trainFormReducer(form: TrainForm, action: TrainFormAction): TrainForm {
  switch (action.type) {
    case 'set':
      return { ...form, ...action.patch }
    case 'restore':
      return restoreTrainForm(action.saved, form)
    case 'useHyperparameters':
      return fromHyperparameters(action.hyperparameters, {
        modelChoice: 'draft',
        seed: form.seed,
        folds: form.folds,
        target: form.target,
      })
  }
}
