/**
 * The typed messages between the main process and the trainer process. The main process is the only
 * database writer: the trainer reports, the main process records.
 */
import type { ExportFormat } from '../../../shared/export'
import type { EventPayload, Split } from '../../../shared/contract'
import type { ModelSpec } from '../../../shared/model/types'
import type { Hyperparameters, PredictionRow } from '../../../shared/training'
import type { EngineName, EngineProbe, EngineReceipt } from './engine'

export interface ImageJobData {
  kind: 'image'
  cacheData: string
  cacheMeta: string
  /** Where a pretrained backbone's feature caches for this dataset version live (a backbone model only). */
  featureDir?: string
  /** Replaces the cache's splits row by row (a cross-validation fold). */
  splits?: Split[]
}

export interface TableJobData {
  kind: 'table'
  /** Row-major features, already encoded and standardised with the training split's statistics. */
  features: Float32Array
  featureCount: number
  /** Class index per row for classification, the value for regression. */
  targets: Float32Array
  sampleIds: number[]
  splits: Split[]
}

export interface TrainJob {
  runId: string
  spec: ModelSpec
  hyperparameters: Hyperparameters
  seed: number
  task: 'classification' | 'regression'
  classNames: string[]
  data: ImageJobData | TableJobData
  checkpointDir: string
  /** Continue after this epoch's checkpoint (1-based epoch number). */
  resume: { epoch: number; dir: string } | null
  engine?: EngineName
}

/**
 * Predicting with a trained run: a file of inputs — uint8 pixels (N × h × w × c), prepared as in training,
 * or float32 feature rows already encoded — and the weights to use.
 */
export interface PredictJob {
  spec: ModelSpec
  weightsDir: string
  inputs: { path: string; type: 'pixels' | 'features' }
  count: number
  task: 'classification' | 'regression'
  engine?: EngineName
}

/** Writing an export's model files from a run's final weights. */
export interface ExportJob {
  spec: ModelSpec
  weightsDir: string
  outDir: string
  formats: ExportFormat[]
  producerVersion: string
  /** Written into the ONNX model's metadata_props. */
  metadata: Record<string, string>
}

export type ToTrainer =
  | { type: 'start'; job: TrainJob }
  | { type: 'predict'; job: PredictJob }
  | { type: 'export'; job: ExportJob }
  /** The engine training would start, and the WebGPU adapter this machine has (for the GPU doctor). */
  | { type: 'probe'; engine?: EngineName }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }

export interface CheckpointFile {
  path: string
  sha256: string
  bytes: number
}

export type FromTrainer =
  | { type: 'started'; engine: EngineReceipt; counts: Record<'train' | 'validation' | 'test', number> }
  | ({
      type: 'batchEnded'
      /** Every batch since the previous message, this one last: all are recorded, the messages are throttled. */
      recorded: Array<{ step: number; loss: number; accuracy: number | null }>
    } & Omit<EventPayload<'training.batchEnded'>, 'runId' | 'projectId' | 'epochs'>)
  | {
      type: 'epochEnded'
      epoch: number
      step: number
      metrics: Record<string, number>
      samplesPerSecond: number
      seconds: number
      checkpoint: { dir: string; files: CheckpointFile[] }
    }
  /** Computing a backbone's features before the first epoch. */
  | { type: 'preparing'; phase: 'features'; done: number; total: number; secondsLeft: number | null }
  | { type: 'paused' }
  | { type: 'resumed' }
  /** Every two seconds while a run is going: a trainer that stops sending it is not responding. */
  | { type: 'heartbeat' }
  | { type: 'predictions'; split: 'validation' | 'test'; loss: number | null; rows: PredictionRow[] }
  | { type: 'finished'; status: 'completed' | 'stopped'; reason: string }
  | { type: 'predicted'; probabilities: number[][]; engine: EngineName }
  | { type: 'exported'; files: Record<string, string[]> }
  | { type: 'probed'; found: EngineProbe }
  | { type: 'failed'; message: string }

/** Throws for a message type the receiver does not know (a union on `type`, `default:` throws). */
export function unknownMessage(message: never): never {
  throw new Error(`Unknown trainer message: ${JSON.stringify(message)}`)
}
