/**
 * `modelbench predict`: runs an export folder (not a run: only what was exported) on image files or on the
 * rows of CSV/TSV files. Images are decoded and resized as in training; preprocessing.json does the rest,
 * through the same runtime the export check uses.
 */
import { existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { exportFormatInfo, predictPreference, type ExportFormat } from '../../../shared/export'
import { loadExport, preparePixels, prepareRows, readPreprocessing, type TableRow } from '../../export-runtime/runtime'
import { BadFileError, describeFsError, inspectImage, modelInputPixels } from '../datasets/image-file'
import { isMissing, parseNumber, readTableFile } from '../datasets/table-file'
import { messageOf } from '../../../shared/messages'

export interface PredictLine {
  file: string
  /** The row's number in the file (tables). */
  row?: number
  /** Classification: the top label and every label's probability. */
  label?: string
  probabilities?: Record<string, number>
  /** Regression: the predicted value. */
  value?: number
}

export interface PredictProblem {
  file: string
  error: string
}

export class ExportFolderError extends Error {}

/** Which format to run: the one asked for, else the first of the preference present (ONNX, then TF.js). */
function chooseFormat(dir: string, format: ExportFormat | undefined): ExportFormat {
  const has = (f: ExportFormat): boolean => existsSync(join(dir, exportFormatInfo[f].mainFile))
  const what = (f: ExportFormat): string => `${exportFormatInfo[f].name} model (${exportFormatInfo[f].mainFile})`
  if (format) {
    if (!has(format))
      throw new ExportFolderError(`${dir} has no ${what(format)}; export the run with --format ${format}`)
    return format
  }
  const present = predictPreference.find(has)
  if (present) return present
  throw new ExportFolderError(
    `${dir} holds no model (${predictPreference.map((f) => exportFormatInfo[f].mainFile).join(' or ')})`,
  )
}

export async function predictFiles(
  dir: string,
  files: string[],
  format?: ExportFormat,
): Promise<{ format: ExportFormat; lines: PredictLine[]; problems: PredictProblem[] }> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ExportFolderError(`${dir}: no such folder`)
  for (const name of ['preprocessing.json', 'labels.json']) {
    if (!existsSync(join(dir, name)))
      throw new ExportFolderError(`${dir} is not a ModelBench export: ${name} is missing`)
  }
  const chosen = chooseFormat(dir, format)
  const { preprocessing: pre, labels } = readPreprocessing(dir)
  const problems: PredictProblem[] = []
  const sources: Array<{ file: string; row?: number }> = []
  let inputs: Float32Array

  if (pre.kind === 'image') {
    const pixels: Buffer[] = []
    for (const file of files) {
      try {
        const data = await readFile(file)
        await inspectImage(data)
        pixels.push(await modelInputPixels(data, pre.inputShape as [number, number, 1 | 3]))
        sources.push({ file })
      } catch (err) {
        problems.push({ file, error: err instanceof BadFileError ? err.message : describeFsError(err) })
      }
    }
    inputs = preparePixels(pre, Buffer.concat(pixels))
  } else {
    const rows: TableRow[] = []
    for (const file of files) {
      try {
        const table = await readTableFile(file)
        const missing = pre.columns.map((c) => c.name).filter((name) => !table.header.includes(name))
        if (missing.length > 0)
          throw new Error(`lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} the model needs`)
        for (const { rowNumber, cells } of table.rows) {
          const row: TableRow = {}
          for (const col of pre.columns) {
            const cell = cells[table.header.indexOf(col.name)]!
            row[col.name] = isMissing(cell) ? null : col.type === 'numeric' ? parseNumber(cell) : cell.trim()
          }
          rows.push(row)
          sources.push({ file, row: rowNumber })
        }
      } catch (err) {
        const message = messageOf(err)
        problems.push({
          file,
          error: message.startsWith(file) ? message.slice(file.length).replace(/^:\s*/, '') : message,
        })
      }
    }
    inputs = prepareRows(pre, rows)
  }

  if (sources.length === 0) return { format: chosen, lines: [], problems }
  const model = await loadExport(dir, chosen)
  const outputs = await model.predict(inputs, sources.length)
  const lines = sources.map((source, i): PredictLine => {
    const out = outputs[i]!
    if (pre.output === 'linear') return { ...source, value: out[0]! }
    const best = out.indexOf(Math.max(...out))
    return {
      ...source,
      label: labels[best]!,
      probabilities: Object.fromEntries(labels.map((name, k) => [name, out[k]!])),
    }
  })
  return { format: chosen, lines, problems }
}
