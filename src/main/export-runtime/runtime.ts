/**
 * Loading and running an exported model the way a team deploying it would: from the export folder alone,
 * with the official runtimes (`@tensorflow/tfjs` loadLayersModel, `onnxruntime-node`) and the documented
 * preprocessing.json. Imports nothing from the app (a lint rule keeps it so), which is what makes the
 * export check independent of the code that wrote the export.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export type ExportFormat = 'tfjs' | 'onnx'

export type ColumnPreprocessing =
  | { name: string; type: 'numeric'; mean: number; std: number }
  | { name: string; type: 'categorical'; categories: string[] }

/** The contents of preprocessing.json. */
export type Preprocessing =
  | {
      kind: 'image'
      /** [height, width, channels] of the model input, NHWC with a batch dimension in front. */
      inputShape: [number, number, number]
      colorMode: 'grayscale' | 'rgb'
      /** What transparent pixels are composited on before resizing (absent in exports older than this field). */
      transparency?: 'white'
      /** How a pretrained backbone takes its images, in words (a model on a backbone only). */
      note?: string
      resize: 'stretch'
      /** Pixel values 0–255 become `(value - mean[c]) / std[c]`; rescaling by 1/255 is mean 0, std 255. */
      mean: number[]
      std: number[]
      output: OutputKind
    }
  | { kind: 'table'; columns: ColumnPreprocessing[]; featureCount: number; output: OutputKind }

/** softmax: one probability per label; sigmoid: one unit, the probability of labels[1]; linear: a number. */
export type OutputKind = 'softmax' | 'sigmoid' | 'linear'

export type TableRow = Record<string, string | number | null>

export interface LoadedExport {
  preprocessing: Preprocessing
  labels: string[]
  /** What the runtime computes on, e.g. "wasm backend". */
  backend: string
  /** Class probabilities per input (two for a sigmoid output), or [value] for regression. */
  predict(inputs: Float32Array, count: number): Promise<number[][]>
}

export function readPreprocessing(dir: string): { preprocessing: Preprocessing; labels: string[] } {
  const preprocessing = JSON.parse(readFileSync(join(dir, 'preprocessing.json'), 'utf8')) as Preprocessing
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as string[]
  return { preprocessing, labels }
}

/** Images as uint8 NHWC pixels already at the input size (N × h × w × c) → model input. */
export function preparePixels(pre: Extract<Preprocessing, { kind: 'image' }>, pixels: Uint8Array): Float32Array {
  const c = pre.inputShape[2]
  const out = new Float32Array(pixels.length)
  for (let i = 0; i < pixels.length; i++) out[i] = (pixels[i]! - pre.mean[i % c]!) / pre.std[i % c]!
  return out
}

/** Table rows → model input: numeric columns standardised (missing → 0), categorical one-hot (unseen → zeros). */
export function prepareRows(pre: Extract<Preprocessing, { kind: 'table' }>, rows: TableRow[]): Float32Array {
  const out = new Float32Array(rows.length * pre.featureCount)
  rows.forEach((row, r) => {
    let o = r * pre.featureCount
    for (const col of pre.columns) {
      const v = row[col.name]
      if (col.type === 'numeric') {
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
        out[o++] = Number.isFinite(n) ? (n - col.mean) / col.std : 0
      } else {
        const k = v === null || v === undefined ? -1 : col.categories.indexOf(String(v))
        if (k >= 0) out[o + k] = 1
        o += col.categories.length
      }
    }
  })
  return out
}

function inputShape(pre: Preprocessing): number[] {
  return pre.kind === 'image' ? pre.inputShape : [pre.featureCount]
}

function rows(values: Float32Array | number[], count: number, output: OutputKind): number[][] {
  const width = values.length / count
  return Array.from({ length: count }, (_, i) => {
    const row = Array.from(values.slice(i * width, (i + 1) * width))
    return output === 'sigmoid' ? [1 - row[0]!, row[0]!] : row
  })
}

/**
 * The tfjs backend the check runs on: the official wasm backend where it loads (a pretrained backbone
 * takes minutes on the pure-JS one), else cpu. Neither is the app's: the app trains with its own kernels.
 */
async function tfjsBackend(tf: typeof import('@tensorflow/tfjs')): Promise<string> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    const require = createRequire(import.meta.url)
    wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`)
    if (await tf.setBackend('wasm')) return 'wasm'
  } catch {
    // The cpu backend below.
  }
  await tf.setBackend('cpu')
  return 'cpu'
}

/** Loads model.json and its shards with the official tfjs loadLayersModel (wasm backend, else cpu). */
export async function loadTfjs(dir: string): Promise<LoadedExport> {
  const tf = await import('@tensorflow/tfjs')
  const backend = await tfjsBackend(tf)
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object
    format?: string
    generatedBy?: string
    convertedBy?: string
    weightsManifest: Array<{ paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }>
  }
  const handler = {
    load: async () => {
      const shards = json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))))
      const all = Buffer.concat(shards)
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        ...(json.format ? { format: json.format } : {}),
        ...(json.generatedBy ? { generatedBy: json.generatedBy } : {}),
        ...(json.convertedBy ? { convertedBy: json.convertedBy } : {}),
      }
    },
  }
  const model = await tf.loadLayersModel(handler)
  return withPreprocessing(dir, `${backend} backend`, async (x, shape) => {
    const input = tf.tensor(x, shape)
    const y = model.predict(input) as import('@tensorflow/tfjs').Tensor
    const values = await y.data<'float32'>()
    tf.dispose([input, y])
    return values
  })
}

/** Loads model.onnx with onnxruntime-node (CPU). */
export async function loadOnnx(dir: string): Promise<LoadedExport> {
  // A CommonJS package: its exports arrive as named exports or as the default, depending on the loader.
  const mod = (await import('onnxruntime-node')) as typeof import('onnxruntime-node') & {
    default?: typeof import('onnxruntime-node')
  }
  const ort = mod.InferenceSession ? mod : mod.default!
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'))
  return withPreprocessing(dir, 'CPU', async (x, shape) => {
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, shape) })
    return result[session.outputNames[0]!]!.data as Float32Array
  })
}

/** A loaded model with the folder's preprocessing.json and labels, predicting in batches of 256. */
function withPreprocessing(
  dir: string,
  backend: string,
  predictBatch: (x: Float32Array, shape: number[]) => Promise<Float32Array>,
): LoadedExport {
  const { preprocessing, labels } = readPreprocessing(dir)
  const shape = inputShape(preprocessing)
  return {
    preprocessing,
    backend,
    labels,
    predict: async (inputs, count) => {
      const out: number[][] = []
      const size = inputs.length / count
      for (let start = 0; start < count; start += 256) {
        const n = Math.min(256, count - start)
        out.push(
          ...rows(
            await predictBatch(inputs.subarray(start * size, (start + n) * size), [n, ...shape]),
            n,
            preprocessing.output,
          ),
        )
      }
      return out
    },
  }
}

/** The runtime's own table of loaders (it ships without the app's code, so it keeps its own on purpose). */
const loaders: Record<ExportFormat, (dir: string) => Promise<LoadedExport>> = { tfjs: loadTfjs, onnx: loadOnnx }

export function loadExport(dir: string, format: ExportFormat): Promise<LoadedExport> {
  return loaders[format](dir)
}
