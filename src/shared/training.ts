/**
 * Training settings and run records as the contract carries them. Hyperparameters are validated here
 * (zod) and stored with the run, immutable once it exists.
 */
import type { ClusterJobInfo } from './cluster'
import { z } from 'zod'
import { initializers, type InitializerName } from './model/types'

export const optimizers = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adamax'] as const
export type OptimizerName = (typeof optimizers)[number]

/**
 * The optimizers' registry as the Train page and the sweep editor show them, in the order offered;
 * `sweep` marks the ones a new sweep over the optimizer tries. The trainer's table of tfjs optimizers
 * is a Record<OptimizerName, …> too, so a new one is added here and there.
 */
export const optimizerInfo: Record<OptimizerName, { label: string; sweep: boolean }> = {
  adam: { label: 'Adam', sweep: true },
  sgd: { label: 'SGD', sweep: true },
  momentum: { label: 'SGD with momentum', sweep: false },
  rmsprop: { label: 'RMSprop', sweep: true },
  adagrad: { label: 'Adagrad', sweep: false },
  adamax: { label: 'Adamax', sweep: false },
}

/** The initializers a whole run can use instead of each layer's own (zeros would train nothing), with their names. */
export const runInitializers: Record<'perLayer' | Exclude<InitializerName, 'zeros'>, string> = {
  perLayer: 'as each layer says',
  glorotUniform: 'Glorot uniform',
  glorotNormal: 'Glorot normal',
  heUniform: 'He uniform',
  heNormal: 'He normal',
  lecunNormal: 'LeCun normal',
}

export const hyperparametersSchema = z
  .object({
    optimizer: z.enum(optimizers).default('adam'),
    learningRate: z.number().gt(0, 'must be above 0').max(10).default(0.001),
    /** For SGD with momentum. */
    momentum: z.number().min(0).lt(1).default(0.9),
    batchSize: z.number().int().min(1).max(4096).default(32),
    epochs: z.number().int().min(1).max(1000).default(5),
    /** Pixels: 1/255 rescaling, or standardised with the training split's mean and deviation. */
    normalization: z.enum(['rescale', 'standardize']).default('rescale'),
    /** Input size the images are resized to; defaults to the size of the first image. */
    inputSize: z
      .object({
        height: z.number().int().min(4).max(1024),
        width: z.number().int().min(4).max(1024),
        channels: z.union([z.literal(1), z.literal(3)]),
      })
      .optional(),
    augmentation: z
      .object({
        flip: z.enum(['none', 'horizontal', 'vertical', 'both']).default('none'),
        /** Largest rotation either way, in degrees. */
        rotation: z.number().min(0).max(180).default(0),
        /** Largest zoom in or out, as a fraction (0.1 = ±10%). */
        zoom: z.number().min(0).max(0.9).default(0),
        /** Largest brightness change, as a fraction of the full range. */
        brightness: z.number().min(0).max(1).default(0),
      })
      .strict()
      .default({ flip: 'none', rotation: 0, zoom: 0, brightness: 0 }),
    earlyStopping: z
      .object({
        metric: z.enum(['val_loss', 'val_accuracy']).default('val_loss'),
        patience: z.number().int().min(1).max(100).default(3),
        restoreBest: z.boolean().default(true),
      })
      .strict()
      .nullable()
      .default(null),
    /** Initial weights for every Conv2D and Dense layer, or as each layer says. */
    initializer: z.enum(['perLayer', ...initializers]).default('perLayer'),
    /** When the dataset version has no validation split, this share of train is held out instead. */
    validationFraction: z.number().min(0).max(0.5).default(0.1),
  })
  .strict()

export type Hyperparameters = z.infer<typeof hyperparametersSchema>
export type HyperparametersInput = z.input<typeof hyperparametersSchema>

export const runStatuses = ['queued', 'running', 'paused', 'completed', 'stopped', 'failed', 'interrupted'] as const
export type RunStatus = (typeof runStatuses)[number]

/** A WebGPU adapter as the webgpu engine found it. */
export interface GpuAdapterInfo {
  vendor: string
  architecture: string
  device: string
  /** The driver's own description, e.g. "SwiftShader driver 5.0.0" or "Metal driver on macOS 15". */
  description: string
  /** A software rasteriser (SwiftShader, llvmpipe, WARP), not a graphics card. */
  software: boolean
  maxBufferSize: number
  maxStorageBufferBindingSize: number
}

export interface EngineInfo {
  engine: string
  backend: string
  versions: Record<string, string>
  cpu: string
  cores: number
  memoryGiB: number
  os: string
  node: string
  skipped: string[]
  /** The WebGPU adapter, when the engine is webgpu. */
  adapter?: GpuAdapterInfo
  /** Threads the run trained on (wasm trains a batch in parts, one per core); absent on older runs. */
  threads?: number
  /** The pretrained backbone a run trained on, and what computed its features. */
  backbone?: {
    id: string
    label: string
    origin: string
    sha256: string
    trainableBlocks: number
    featureEngine: string
  }
}

export interface RunSummary {
  id: string
  projectId: string
  datasetVersionId: string
  /** The dataset version's number (v1, v2, …) within the project. */
  datasetVersion: number
  name: string
  status: RunStatus
  statusReason: string | null
  seed: number
  epochsDone: number
  epochs: number
  engine: EngineInfo | null
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  /** Latest value of each metric key. */
  latest: Record<string, number | null>
  tags: string[]
  notes: string
  parentRunId: string | null
  /** The settings a runs table shows. */
  optimizer: string
  learningRate: number
  batchSize: number
  architectureSummary: string
  /** Test accuracy (classification) from the final evaluation, when there is one; for a
   * cross-validation parent, the mean over its folds. */
  testAccuracy: number | null
  /** Cross-validation: k on the parent, and the fold (0-based) on each child. */
  folds: number | null
  fold: number | null
  /** Set on a sweep's trials. */
  sweepId: string | null
  /** Set on a run that trains on a Slurm cluster: its job as Slurm last reported it. */
  target: ClusterJobInfo | null
}

/** The largest image file "Try it" takes: sent as base64 inside the HTTP bridge's 1 MiB request limit. */
export const maxTryImageBytes = 700 * 1024

/** "Try it": one image's class probabilities from a completed run. */
export interface TryImageResult {
  predicted: string
  /** The engine that computed it (the one training would use now). */
  engine: string
  /** The sample's label and image hash when a dataset sample was tried. */
  trueClass: string | null
  sampleHash: string | null
  /** In the model's class order. */
  classes: Array<{ name: string; probability: number }>
  /** What the model was given: the image after resizing (PNG, at the input's size and channels) and how its pixels were scaled. */
  seen: { pngBase64: string; width: number; height: number; channels: 1 | 3; scaling: string }
  /** Why the image looks unlike the training images (brightness, contrast, colour far outside theirs); empty when it does not. */
  unusual: string[]
}

export interface LabelSuggestion {
  sampleId: number
  hash: string
  classId: number
  className: string
  /** The model's probability for its guess. */
  confidence: number
}

export interface CrossValidationSummary {
  parent: RunSummary
  folds: RunSummary[]
  /** Mean and standard deviation over the completed folds, per metric. */
  mean: Record<string, number>
  std: Record<string, number>
}

/** A stored prediction with what the gallery needs to show it and fix its label. */
export interface PredictionExample {
  sampleId: number
  hash: string
  name: string
  trueIndex: number
  predictedIndex: number
  confidence: number
  probabilities: number[]
  /** The sample's label now, by class id (it may have been relabeled since the run). */
  currentClassId: number | null
  checked: boolean
  /** A table row's values by column (what the gallery shows instead of a picture); null for an image. */
  values: Record<string, string | number | null> | null
}

export interface RunComparison {
  runs: RunDetail[]
  /** Hyperparameter and layer settings, flattened to `path: value`, for each run in order. */
  settings: Array<Record<string, string>>
  /** The setting paths whose values differ between the runs. */
  differing: string[]
  /** The chosen metric's points, per run in order. */
  curves: MetricPoint[][]
  /** Final evaluation of each run on the test split (or validation when there is no test split). */
  evaluations: Array<Evaluation | null>
}

export interface RunDetail extends RunSummary {
  spec: import('./model/types').ModelSpec
  hyperparameters: Hyperparameters
}

export interface MetricPoint {
  step: number
  epoch: number
  /** null for NaN. */
  value: number | null
  wallTime: number
}

export interface ClassMetrics {
  name: string
  precision: number
  recall: number
  f1: number
  support: number
}

export interface ClassificationEvaluation {
  kind: 'classification'
  count: number
  accuracy: number
  loss: number | null
  classes: ClassMetrics[]
  macro: { precision: number; recall: number; f1: number }
  /** confusion[true][predicted] */
  confusion: number[][]
  /** Two classes only: area under the ROC curve of the positive (second) class, and its curve. */
  roc: { auc: number; points: Array<[number, number]> } | null
}

export interface RegressionEvaluation {
  kind: 'regression'
  count: number
  mse: number
  mae: number
  r2: number
}

export type Evaluation = ClassificationEvaluation | RegressionEvaluation

export interface PredictionRow {
  sampleId: number
  trueIndex: number | null
  predictedIndex: number | null
  confidence: number | null
  probabilities: number[] | null
  trueValue: number | null
  predictedValue: number | null
}
