/**
 * Entry of the export check, run as its own process: `verify-export <job.json> <result.json>`. It loads
 * one format of an export folder with that format's official runtime, prepares the given raw inputs as
 * the folder's preprocessing.json says, predicts, and writes the probabilities (or the error) to the
 * result file. The app compares them with its own predictions; nothing here comes from the app.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { loadExport, preparePixels, prepareRows, type ExportFormat, type TableRow } from './runtime'

export type VerifyJob =
  | { dir: string; format: ExportFormat; kind: 'image'; pixels: string; count: number }
  | { dir: string; format: ExportFormat; kind: 'table'; rows: TableRow[] }

export type VerifyResult = { probabilities: number[][]; runtime: string } | { error: string }

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url)
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown version'
  }
}

async function verify(job: VerifyJob): Promise<VerifyResult> {
  const loaded = await loadExport(job.dir, job.format)
  const pre = loaded.preprocessing
  let inputs: Float32Array
  let count: number
  if (job.kind === 'image') {
    if (pre.kind !== 'image') throw new Error('preprocessing.json describes a table, but the inputs are images')
    inputs = preparePixels(pre, readFileSync(job.pixels))
    count = job.count
  } else {
    if (pre.kind !== 'table') throw new Error('preprocessing.json describes images, but the inputs are table rows')
    inputs = prepareRows(pre, job.rows)
    count = job.rows.length
  }
  const probabilities = await loaded.predict(inputs, count)
  return { probabilities, runtime: runtimeNames[job.format](loaded.backend) }
}

/** Which runtime checked each format, with its version and backend. */
const runtimeNames: Record<ExportFormat, (backend: string) => string> = {
  tfjs: (backend) => `@tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')} loadLayersModel (${backend})`,
  onnx: (backend) => `onnxruntime-node ${packageVersion('onnxruntime-node')} (${backend})`,
}

const [jobFile, resultFile] = process.argv.slice(2)
if (!jobFile || !resultFile) {
  console.error('Usage: verify-export <job.json> <result.json>')
  process.exit(2)
}
verify(JSON.parse(readFileSync(jobFile, 'utf8')) as VerifyJob).then(
  (result) => writeFileSync(resultFile, JSON.stringify(result)),
  (err: unknown) => {
    writeFileSync(resultFile, JSON.stringify({ error: err instanceof Error ? err.message : String(err) }))
    process.exitCode = 1
  },
)
