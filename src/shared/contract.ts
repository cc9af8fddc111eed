/**
 * The one contract between the renderer and the core: every method (renderer → core) and every event
 * (core → renderer), with their payload types. The preload, the Electron IPC registration and the HTTP
 * bridge all loop over `methodNames` / `eventNames`; the zod schemas that validate inputs live beside
 * this file in `schemas.ts`. This module has no runtime dependencies so the sandboxed preload can use it.
 */

export const errorCodes = ['INVALID_ARGUMENT', 'NOT_FOUND', 'CONFLICT', 'INVALID_STATE', 'INTERNAL'] as const
export type ErrorCode = (typeof errorCodes)[number]

export interface ContractError {
  code: ErrorCode
  message: string
  /** Dotted path of the offending input field, for INVALID_ARGUMENT. */
  field?: string
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ContractError }

export interface Project {
  id: string
  name: string
  description: string
  /** Epoch milliseconds. */
  createdAt: number
  updatedAt: number
  /** When the project was last opened, or null if never: the most recent one is reopened at start. */
  openedAt: number | null
}

export interface AppInfo {
  appName: 'ModelBench'
  version: string
  /** How the renderer reaches the core. */
  shell: 'electron' | 'server'
  dataDir: string
  schemaVersion: number
  nodeVersion: string
  platform: string
  /** What training may use here (the Model page refuses a model that needs more, as runs.start does). */
  trainingMemory: { bytes: number; reason: string }
}

export type Split = 'train' | 'validation' | 'test'
export const splits: readonly Split[] = ['train', 'validation', 'test']
export type DatasetKind = 'image' | 'table'
export type Task = 'classification' | 'regression'

export interface ClassInfo {
  id: number
  name: string
  /** A CSS colour, `#rrggbb`. */
  color: string
  position: number
  count: number
}

export type SplitCounts = Record<Split | 'none', number>

export interface SplitConfig {
  /** `folders`: fixed by train/ and test/ folders at import; `ratio`: drawn per class with the seed. */
  mode: 'ratio' | 'folders'
  train: number
  validation: number
  test: number
  seed: number
}

export interface TableColumn {
  name: string
  type: 'numeric' | 'categorical'
  missing: number
  distinct: number
  /** Numbers written with a decimal comma (1,4), as semicolon-separated files from European spreadsheets have them. */
  decimalComma?: boolean
  /** Why the column got its type, in words (shown in the preview). */
  reason?: string
  /** A numeric column's cells that are not numbers: read as missing (the first 20, with their rows). */
  notNumbers?: { count: number; examples: Array<{ rowNumber: number; value: string }> }
}

export interface ImportInfo {
  id: string
  datasetId: string
  source: string
  kind: 'images' | 'table'
  status: 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted'
  total: number
  processed: number
  imported: number
  duplicates: number
  skipped: number
  /** Passed over on purpose, each one listed in the report as a warning. */
  ignored: { hiddenFiles: number; emptyFolders: number }
  /** Images imported without a class because they were outside every class folder. */
  unlabeledLoose: number
  error: string | null
  startedAt: number
  finishedAt: number | null
}

export interface ImportIssue {
  kind: 'skipped' | 'duplicate' | 'warning'
  path: string
  rowNumber: number | null
  reason: string
}

/** Work in progress that is not a record yet, kept per project so leaving a page (or the app) loses nothing. */
export interface ProjectDrafts {
  /** The model being built on the Model page: its name and layers, before it is saved as an architecture. */
  model: { name: string; spec: unknown } | null
  /** The Train page's settings as the user left them. */
  train: Record<string, unknown> | null
}

export interface DatasetSummary {
  id: string
  projectId: string
  kind: DatasetKind
  task: Task
  targetColumn: string | null
  columns: TableColumn[] | null
  total: number
  labeled: number
  classes: ClassInfo[]
  /** Per class (null = unlabeled) and split. */
  counts: Array<{ classId: number | null } & SplitCounts>
  split: SplitConfig | null
  /** Plain-language problems with the data as it stands (too few examples, imbalance…). */
  warnings: string[]
  latestImport: ImportInfo | null
  /** A model input that fits this data: the most common image size (grey or colour), or the table's feature count. */
  suggestedInputShape: number[] | null
}

export interface Architecture {
  id: string
  projectId: string
  name: string
  version: number
  spec: ModelSpec
  createdAt: number
}

export interface SampleItem {
  id: number
  hash: string
  name: string
  classId: number | null
  split: Split | null
  width: number | null
  height: number | null
  /** Table rows: the feature values. */
  values: Record<string, string | number | null> | null
  target: number | null
}

export type SampleFilter =
  | { kind: 'all' }
  | { kind: 'unlabeled' }
  | { kind: 'class'; classId: number }
  | { kind: 'split'; split: Split }
  /** Samples whose content was also found under another name at import. */
  | { kind: 'duplicates' }

export interface TablePreview {
  path: string
  delimiter: string
  hasHeader: boolean
  columns: TableColumn[]
  /** The first rows, as text. */
  rows: string[][]
  rowCount: number
  problems: Array<{ rowNumber: number; reason: string }>
  suggestedTarget: string | null
  suggestedTask: Task
  /** The text encoding the file was read with (utf-8 unless it said or showed otherwise). */
  encoding: string
  /** What was decided on the user's behalf: a legacy encoding, renamed columns, stray values read as missing. */
  warnings: string[]
}

export interface DatasetVersion {
  id: string
  datasetId: string
  number: number
  hash: string
  sampleCount: number
  classNames: string[]
  counts: Record<Split, number>
  createdAt: number
}

export type SampleProjectName = 'digits' | 'iris'

export type { EngineChoice } from './engines'
import type { EngineChoice } from './engines'
import type { ClusterProfileInput, ClusterProfileRecord } from './cluster'

/** The Engine page's choice, and MODELBENCH_ENGINE when it overrides it. */
export interface EnginePreference {
  choice: EngineChoice | 'auto'
  environment: EngineChoice | null
  /** MODELBENCH_ENGINE set to something that is not an engine. */
  environmentProblem: string | null
}

export interface DoctorReport {
  /** The engine training would use now, and why faster ones are not available. */
  engine: EngineInfo | null
  /** Why no engine started (a chosen engine that cannot start says so here). */
  engineProblem: string | null
  preference: EnginePreference
  gpu: {
    driver: string | null
    gpus: string[]
    cudaRuntime: string | null
    cudnn: string | null
    tfjsNodeGpuInstalled: boolean
    tfjsNodeGpuLoads: boolean
    /** The WebGPU adapter found (hardware or software), or why there is none. */
    webgpu: { adapter: GpuAdapterInfo | null; problem: string | null }
    /** Plain-language steps, empty when the GPU is in use. */
    advice: string[]
  }
}

export interface StartRunInput {
  projectId: string
  spec: ModelSpec
  hyperparameters?: HyperparametersInput
  seed?: number
  name?: string
  /** Defaults to the dataset as it is now, frozen into a version (or the unchanged last version). */
  datasetVersionId?: string
  engine?: EngineChoice
  /** A cluster profile's id: the run trains there as a Slurm job. Absent: on this computer. */
  target?: string
}

type Empty = Record<string, never>

import type { ExportFormat, ExportRecord, ExportStatus, TryRowResult } from './export'
import type { ModelSpec } from './model/types'
import type {
  PruningRule,
  SweepBudget,
  SweepDetail,
  SweepObjective,
  SweepParam,
  SweepStatus,
  SweepStrategy,
  SweepSummary,
} from './sweep'
import type {
  CrossValidationSummary,
  Evaluation,
  EngineInfo,
  GpuAdapterInfo,
  LabelSuggestion,
  TryImageResult,
  Hyperparameters,
  HyperparametersInput,
  MetricPoint,
  PredictionExample,
  PredictionRow,
  RunComparison,
  RunDetail,
  RunStatus,
  RunSummary,
} from './training'

/** Every method: its single object argument and its result. */
export interface Methods {
  'app.getInfo': { input: Empty; output: AppInfo }
  'projects.list': { input: Empty; output: Project[] }
  'projects.get': { input: { id: string }; output: Project }
  'projects.create': { input: { name: string; description?: string }; output: Project }
  'projects.open': { input: { id: string }; output: Project }
  'projects.getDrafts': { input: { id: string }; output: ProjectDrafts }
  /** Replaces the parts given (null clears one); the parts left out stay. */
  'projects.saveDrafts': {
    input: { id: string; model?: ProjectDrafts['model']; train?: ProjectDrafts['train'] }
    output: ProjectDrafts
  }
  'projects.rename': { input: { id: string; name: string }; output: Project }
  'projects.delete': { input: { id: string }; output: { id: string } }
  'projects.restore': { input: { id: string }; output: Project }
  'projects.createSample': { input: { sample: SampleProjectName }; output: { project: Project; import: ImportInfo } }
  'datasets.get': { input: { projectId: string }; output: DatasetSummary | null }
  /** `className`: every image goes into that class, created if new (a burst from the camera). */
  'datasets.importImages': { input: { projectId: string; paths: string[]; className?: string }; output: ImportInfo }
  'datasets.previewTable': { input: { path: string }; output: TablePreview }
  'datasets.importTable': {
    input: {
      projectId: string
      path: string
      targetColumn: string
      task?: Task
      columnTypes?: Record<string, 'numeric' | 'categorical'>
    }
    output: ImportInfo
  }
  'datasets.split': {
    input: { datasetId: string; train: number; validation: number; test: number; seed: number }
    output: DatasetSummary
  }
  'datasets.freezeVersion': { input: { datasetId: string }; output: DatasetVersion & { reused: boolean } }
  'datasets.listVersions': { input: { datasetId: string }; output: DatasetVersion[] }
  'imports.get': { input: { importId: string }; output: ImportInfo }
  'imports.cancel': { input: { importId: string }; output: ImportInfo }
  /**
   * A file the app itself made (a camera frame), sent whole as base64 into an upload, to be imported from
   * there like a dropped file; dropped and picked files stream through the server's upload route instead.
   * `name` may hold folders (`Camera/capture-1.jpg`): the import shows that path.
   */
  'uploads.putFile': {
    input: { uploadId: string; name: string; base64: string }
    output: { path: string; root: string }
  }
  'imports.listIssues': {
    input: { importId: string; offset?: number; limit?: number }
    output: { items: ImportIssue[]; total: number }
  }
  'classes.create': { input: { datasetId: string; name: string; color?: string }; output: ClassInfo }
  'classes.update': { input: { classId: number; name?: string; color?: string }; output: ClassInfo }
  'classes.merge': { input: { sourceId: number; targetId: number }; output: { moved: number } }
  'classes.delete': { input: { classId: number }; output: { unlabeled: number } }
  'samples.list': {
    input: { datasetId: string; filter?: SampleFilter; offset?: number; limit?: number }
    output: { items: SampleItem[]; total: number }
  }
  'samples.setLabels': {
    input: { labels: Array<{ sampleId: number; classId: number | null }> }
    output: { previous: Array<{ sampleId: number; classId: number | null }> }
  }
  'runs.start': { input: StartRunInput; output: RunSummary }
  'runs.pause': { input: { runId: string }; output: RunSummary }
  'runs.resume': { input: { runId: string }; output: RunSummary }
  'runs.stop': { input: { runId: string }; output: RunSummary }
  'runs.list': {
    input: { projectId: string; offset?: number; limit?: number }
    output: { items: RunSummary[]; total: number }
  }
  'runs.get': { input: { runId: string }; output: RunDetail }
  'runs.metrics': { input: { runId: string; keys?: string[] }; output: Record<string, MetricPoint[]> }
  'runs.evaluation': { input: { runId: string }; output: { validation: Evaluation | null; test: Evaluation | null } }
  'runs.predictions': {
    input: { runId: string; split: 'validation' | 'test'; offset?: number; limit?: number }
    output: { items: PredictionRow[]; total: number }
  }
  'engine.doctor': { input: Empty; output: DoctorReport }
  'engine.setPreference': { input: { choice: EngineChoice | 'auto' }; output: EnginePreference }
  'clusters.list': { input: Empty; output: ClusterProfileRecord[] }
  'clusters.save': { input: { id?: string; profile: ClusterProfileInput }; output: ClusterProfileRecord }
  'clusters.delete': { input: { id: string }; output: { id: string } }
  /** The test submission: a small job that starts ModelBench on a node and writes to the shared folder. */
  'clusters.check': { input: { id: string }; output: ClusterProfileRecord }
  /** The end of a cluster run's Slurm log. */
  'runs.jobLog': { input: { runId: string }; output: { path: string; text: string } }
  'runs.update': { input: { runId: string; name?: string; tags?: string[]; notes?: string }; output: RunSummary }
  'runs.delete': { input: { runId: string }; output: { runId: string } }
  'runs.restore': { input: { runId: string }; output: RunSummary }
  /** Starts a new run with the same model, settings, dataset version and seed, linked to the old one. */
  'runs.rerun': { input: { runId: string }; output: RunSummary }
  'runs.compare': { input: { runIds: string[]; metric: string }; output: RunComparison }
  /** k-fold cross-validation: a parent run and k child runs, each tested on one stratified fold. */
  'runs.crossValidate': { input: StartRunInput & { k: number }; output: RunSummary }
  'runs.crossValidation': { input: { runId: string }; output: CrossValidationSummary }
  /** A completed run's guesses for the unlabeled images, most uncertain first. */
  'runs.suggestLabels': { input: { runId: string }; output: { items: LabelSuggestion[] } }
  /** "Try it": a completed run's class probabilities for a dataset sample or an image file (base64). */
  'runs.tryImage': {
    input: { runId: string; sampleId?: number; imageBase64?: string; fileName?: string }
    output: TryImageResult
  }
  /** Predictions for the error gallery: mistakes (or one confusion-matrix cell), most confident first. */
  /** "Try it" for tables: a completed run's prediction for a dataset row or values typed in. */
  'runs.tryRow': {
    input: { runId: string; sampleId?: number; values?: Record<string, string | number | null> }
    output: TryRowResult
  }
  /** Exports a completed run (into `dir`, or a new folder under the data directory) and checks each format. */
  'exports.start': { input: { runId: string; formats: ExportFormat[]; dir?: string }; output: ExportRecord }
  'exports.get': { input: { exportId: string }; output: ExportRecord }
  'exports.list': { input: { projectId: string }; output: ExportRecord[] }
  /** A hyperparameter sweep over the given base settings; each trial is a run linked to the sweep. */
  'sweeps.start': {
    input: StartRunInput & {
      space: SweepParam[]
      strategy: SweepStrategy
      objective?: Partial<SweepObjective>
      budget: Partial<SweepBudget>
      pruning?: PruningRule
      /** Trials trained at once (default 1). */
      parallel?: number
    }
    output: SweepSummary
  }
  'sweeps.list': { input: { projectId: string }; output: SweepSummary[] }
  'sweeps.get': { input: { sweepId: string }; output: SweepDetail }
  'sweeps.pause': { input: { sweepId: string }; output: SweepSummary }
  'sweeps.resume': { input: { sweepId: string }; output: SweepSummary }
  'sweeps.stop': { input: { sweepId: string }; output: SweepSummary }
  /** Where an export of the run goes unless told otherwise. */
  'exports.defaultDir': { input: { runId: string }; output: { dir: string } }
  'runs.examples': {
    input: {
      runId: string
      split: 'validation' | 'test'
      trueIndex?: number
      predictedIndex?: number
      includeChecked?: boolean
      offset?: number
      limit?: number
    }
    output: { items: PredictionExample[]; total: number; classNames: string[] }
  }
  'runs.markChecked': {
    input: { runId: string; split: 'validation' | 'test'; sampleId: number; checked: boolean }
    output: { checked: boolean }
  }
  'datasets.previewAugmentation': {
    input: { projectId: string; inputShape: number[]; augmentation: Hyperparameters['augmentation']; seed: number }
    output: Array<{ original: string; augmented: string[] }>
  }
  'architectures.list': { input: { projectId: string }; output: Architecture[] }
  /** Saves a new version under the name (version 1 for a new name). */
  'architectures.save': { input: { projectId: string; name: string; spec: ModelSpec }; output: Architecture }
  'architectures.rename': { input: { projectId: string; name: string; newName: string }; output: { renamed: number } }
  'architectures.delete': { input: { projectId: string; name: string }; output: { deleted: number } }
}

/** Every event the core emits, with its payload. */
export interface Events {
  'projects.changed': { reason: 'created' | 'opened' | 'renamed' | 'deleted' | 'restored'; projectId: string }
  'import.progressed': {
    importId: string
    datasetId: string
    projectId: string
    processed: number
    total: number
    imported: number
    duplicates: number
    skipped: number
    ratePerSecond: number
    etaSeconds: number | null
  }
  'import.finished': { importId: string; datasetId: string; projectId: string; status: ImportInfo['status'] }
  'datasets.changed': {
    datasetId: string
    projectId: string
    reason: 'imported' | 'labeled' | 'classes' | 'split' | 'versioned'
  }
  'training.statusChanged': { runId: string; projectId: string; status: RunStatus; reason: string | null }
  'training.batchEnded': {
    runId: string
    projectId: string
    epoch: number
    epochs: number
    batch: number
    batches: number
    step: number
    loss: number
    accuracy: number | null
    samplesPerSecond: number
  }
  'training.epochEnded': {
    runId: string
    projectId: string
    epoch: number
    epochs: number
    metrics: Record<string, number>
    samplesPerSecond: number
    seconds: number
  }
  /** Before the first epoch: images resized for the model, then (with a pretrained backbone) their features computed. */
  'training.prepareProgressed': {
    runId: string
    projectId: string
    phase: 'images' | 'features'
    done: number
    total: number
    secondsLeft: number | null
  }
  'training.finished': { runId: string; projectId: string; status: 'completed' | 'stopped'; reason: string }
  'training.failed': { runId: string; projectId: string; message: string }
  'exports.progressed': { exportId: string; projectId: string; runId: string; fraction: number; step: string }
  'exports.finished': { exportId: string; projectId: string; runId: string; status: ExportStatus }
  /** A sweep started, paused, resumed, stopped or ended, or one of its trials started or ended. */
  'sweeps.changed': { sweepId: string; projectId: string; status: SweepStatus }
  /** The GPU doctor's check, step by step: what it is looking at now. */
  'engine.doctorProgressed': { step: string; done: number; total: number }
  'clusters.changed': { profileId: string }
  /** What Slurm says of a cluster run's job changed (queued, running on a node, ended). */
  'clusters.jobChanged': { runId: string; state: string | null; reason: string | null; node: string | null }
}

export type MethodName = keyof Methods
export type MethodInput<M extends MethodName> = Methods[M]['input']
export type MethodOutput<M extends MethodName> = Methods[M]['output']
export type EventName = keyof Events
export type EventPayload<E extends EventName> = Events[E]

/**
 * The runtime lists. Written as object literals checked against the interfaces, so leaving a method or an
 * event out (or listing one that does not exist) fails to compile.
 */
const methodTable = {
  'app.getInfo': true,
  'projects.list': true,
  'projects.get': true,
  'projects.create': true,
  'projects.open': true,
  'projects.getDrafts': true,
  'projects.saveDrafts': true,
  'projects.rename': true,
  'projects.delete': true,
  'projects.restore': true,
  'projects.createSample': true,
  'datasets.get': true,
  'datasets.importImages': true,
  'datasets.previewTable': true,
  'datasets.importTable': true,
  'datasets.split': true,
  'datasets.freezeVersion': true,
  'datasets.listVersions': true,
  'imports.get': true,
  'imports.cancel': true,
  'uploads.putFile': true,
  'imports.listIssues': true,
  'classes.create': true,
  'classes.update': true,
  'classes.merge': true,
  'classes.delete': true,
  'samples.list': true,
  'samples.setLabels': true,
  'runs.start': true,
  'runs.pause': true,
  'runs.resume': true,
  'runs.stop': true,
  'runs.list': true,
  'runs.get': true,
  'runs.metrics': true,
  'runs.evaluation': true,
  'runs.predictions': true,
  'engine.doctor': true,
  'engine.setPreference': true,
  'clusters.list': true,
  'clusters.save': true,
  'clusters.delete': true,
  'clusters.check': true,
  'runs.jobLog': true,
  'runs.update': true,
  'runs.delete': true,
  'runs.restore': true,
  'runs.rerun': true,
  'runs.compare': true,
  'runs.crossValidate': true,
  'runs.crossValidation': true,
  'runs.suggestLabels': true,
  'runs.tryImage': true,
  'runs.tryRow': true,
  'exports.start': true,
  'exports.get': true,
  'exports.list': true,
  'exports.defaultDir': true,
  'sweeps.start': true,
  'sweeps.list': true,
  'sweeps.get': true,
  'sweeps.pause': true,
  'sweeps.resume': true,
  'sweeps.stop': true,
  'runs.examples': true,
  'runs.markChecked': true,
  'datasets.previewAugmentation': true,
  'architectures.list': true,
  'architectures.save': true,
  'architectures.rename': true,
  'architectures.delete': true,
} as const satisfies Record<MethodName, true>

const eventTable = {
  'projects.changed': true,
  'import.progressed': true,
  'import.finished': true,
  'datasets.changed': true,
  'training.statusChanged': true,
  'training.batchEnded': true,
  'training.epochEnded': true,
  'training.prepareProgressed': true,
  'training.finished': true,
  'training.failed': true,
  'exports.progressed': true,
  'exports.finished': true,
  'sweeps.changed': true,
  'engine.doctorProgressed': true,
  'clusters.changed': true,
  'clusters.jobChanged': true,
} as const satisfies Record<EventName, true>

export const methodNames = Object.keys(methodTable) as MethodName[]
export const eventNames = Object.keys(eventTable) as EventName[]

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methodTable, name)
}

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(eventTable, name)
}

/** What the preload exposes as `window.modelbench`: one function per method, plus `on`. */
export type ModelBenchBridge = {
  [M in MethodName]: (input: MethodInput<M>) => Promise<Result<MethodOutput<M>>>
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
  /** The path on disk of a file the user dropped or picked (Electron only). */
  pathForFile(file: File): string
}

/** The custom scheme Electron serves imported images under: `mb-media://thumbs/<sha256>`. */
/** An upload's id, chosen by the shell: a UUID fits. */
export const uploadIdPattern = /^[a-z0-9-]{8,64}$/

/** The largest file sent whole through `uploads.putFile`: as base64 it stays inside the HTTP bridge's 1 MiB request limit. */
export const maxSentFileBytes = 700 * 1024

export const mediaScheme = 'mb-media'

/** IPC channel names used by the preload and the Electron registration. */
export const ipcChannels = {
  method: (name: MethodName) => `modelbench:${name}`,
  event: 'modelbench:event',
} as const
