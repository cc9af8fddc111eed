/**
 * Turns table rows into model inputs: numeric columns standardised with the training split's mean and
 * deviation (missing values become the mean, so 0), categorical columns one-hot over the categories seen
 * in training (unseen ones become all zeros). The encoder is saved with the run so predictions later are
 * prepared the same way.
 */
import type { TableColumn } from '../../../shared/contract'
import { isMissing, parseNumber } from '../datasets/table-file'

export type ColumnEncoder =
  | { name: string; type: 'numeric'; mean: number; std: number }
  | { name: string; type: 'categorical'; categories: string[] }

export interface TableEncoder {
  columns: ColumnEncoder[]
  featureCount: number
}

type Row = Record<string, string | number | null>

/**
 * `trainRows` give the numeric statistics (no peeking at validation or test); `allRows` give the category
 * vocabulary, so the number of features does not depend on how the rows are split.
 */
export function fitEncoder(
  columns: readonly TableColumn[],
  trainRows: readonly Row[],
  allRows: readonly Row[] = trainRows,
): TableEncoder {
  const encoders: ColumnEncoder[] = columns.map((col) => {
    if (col.type === 'numeric') {
      const values = trainRows.map((r) => r[col.name]).filter((v): v is number => typeof v === 'number')
      const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0
      const variance = values.length ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length : 0
      return { name: col.name, type: 'numeric', mean, std: Math.sqrt(variance) || 1 }
    }
    const categories = [
      ...new Set(
        allRows
          .map((r) => r[col.name])
          .filter((v): v is string | number => v !== null)
          .map(String),
      ),
    ].sort()
    return { name: col.name, type: 'categorical', categories }
  })
  const featureCount = encoders.reduce((n, e) => n + (e.type === 'numeric' ? 1 : e.categories.length), 0)
  return { columns: encoders, featureCount }
}

/**
 * Why typed-in values cannot be encoded as the model was trained (text in a numeric column, a category it
 * never saw, a column it does not have), or null. Empty values are allowed: they read as missing.
 */
export function rowProblem(encoder: TableEncoder, row: Row): string | null {
  const known = new Set(encoder.columns.map((e) => e.name))
  const unknown = Object.keys(row).filter((k) => !known.has(k))
  if (unknown.length > 0)
    return `This model has no column ${unknown.map((k) => `“${k}”`).join(', ')}; its columns are ${encoder.columns.map((e) => e.name).join(', ')}`
  for (const e of encoder.columns) {
    const v = row[e.name]
    if (v === null || v === undefined || (typeof v === 'string' && isMissing(v))) continue
    if (e.type === 'numeric') {
      const n = typeof v === 'number' ? v : parseNumber(v)
      if (n === null || !Number.isFinite(n))
        return `“${e.name}” is numeric, so “${String(v)}” cannot be used; type a number or leave it empty`
    } else if (!e.categories.includes(String(v))) {
      return `“${e.name}” has no category “${String(v)}” in the training data; use one of ${e.categories.slice(0, 20).join(', ')}${e.categories.length > 20 ? ', …' : ''}, or leave it empty`
    }
  }
  return null
}

export function encodeRows(encoder: TableEncoder, rows: readonly Row[]): Float32Array {
  const out = new Float32Array(rows.length * encoder.featureCount)
  rows.forEach((row, r) => {
    let o = r * encoder.featureCount
    for (const e of encoder.columns) {
      const v = row[e.name]
      if (e.type === 'numeric') {
        // A number typed as text ("3", " 4.5 ") is that number, as the exported model's runtime reads it.
        const n = typeof v === 'number' ? v : typeof v === 'string' ? parseNumber(v) : null
        out[o++] = n !== null && Number.isFinite(n) ? (n - e.mean) / e.std : 0
      } else {
        const k = v === null || v === undefined ? -1 : e.categories.indexOf(String(v))
        if (k >= 0) out[o + k] = 1
        o += e.categories.length
      }
    }
  })
  return out
}
