/**
 * Exports for deployment as the contract carries them: a completed run written as TF.js (Layers format)
 * and/or ONNX, with labels.json, preprocessing.json, MODEL_CARD.md and metadata.json, each format checked
 * in a separate process with its official runtime.
 */
export const exportFormats = ['tfjs', 'onnx'] as const
export type ExportFormat = (typeof exportFormats)[number]

/**
 * The export formats' registry, as people and the folder see them. The other tables keyed by format —
 * the trainer's writers (export-job.ts), the model card's snippets (model-card.ts) and the export
 * runtime's loaders (its own, on purpose) — are Record<ExportFormat, …>, so a new format is refused by the
 * compiler until each has its entry, instead of being treated as another one.
 */
export const exportFormatInfo: Record<
  ExportFormat,
  { name: string; title: string; description: string; mainFile: string }
> = {
  tfjs: {
    name: 'TF.js',
    title: 'TF.js (Layers format)',
    description: 'model.json and weight files, for web pages and Node with @tensorflow/tfjs.',
    mainFile: 'model.json',
  },
  onnx: {
    name: 'ONNX',
    title: 'ONNX (opset 13)',
    description: 'model.onnx, for onnxruntime in Python, C#, C++, Java and on phones. Input stays NHWC.',
    mainFile: 'model.onnx',
  },
}
/** How a format is named to people. */
export const exportFormatNames = Object.fromEntries(exportFormats.map((f) => [f, exportFormatInfo[f].name])) as Record<
  ExportFormat,
  string
>
/** Which format `modelbench predict` runs when a folder holds several: the first present. */
export const predictPreference: readonly ExportFormat[] = ['onnx', 'tfjs']

/** The check: each format loaded by its runtime must agree with the app on the same test inputs. */
export const verifyTolerance = 1e-4
export const verifyInputCount = 100

export type ExportStatus = 'running' | 'verified' | 'unverified' | 'failed'

export interface ExportFormatResult {
  format: ExportFormat
  files: string[]
  /** How it was loaded, e.g. "@tensorflow/tfjs 4.22.0 loadLayersModel (cpu backend)". */
  runtime: string
  /** Inputs compared. */
  checked: number
  /** Classification: inputs whose top class matched the app's; null for regression. */
  sameTop1: number | null
  /** Largest absolute difference of any probability (or predicted value) from the app's. */
  maxDifference: number | null
  verified: boolean
  /** Why the check could not run or failed. */
  error: string | null
}

export interface ExportRecord {
  id: string
  runId: string
  runName: string
  projectId: string
  dir: string
  formats: ExportFormat[]
  status: ExportStatus
  error: string | null
  results: ExportFormatResult[]
  createdAt: number
  finishedAt: number | null
}

/** One table row's prediction ("Try it" for tables). */
export interface TryRowResult {
  /** The row's values as the model read them. */
  values: Record<string, string | number | null>
  /** Classification: the predicted class; regression: null. */
  predicted: string | null
  value: number | null
  trueClass: string | null
  trueValue: number | null
  classes: Array<{ name: string; probability: number }>
}
