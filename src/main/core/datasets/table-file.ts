/**
 * Reads a CSV or TSV file into a table: strips a UTF-8 BOM, sniffs the delimiter, decides whether the
 * first row is a header, types each column (numeric or categorical), counts missing values and reports
 * ragged rows with their row numbers (1-based, as a spreadsheet shows them).
 */
import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import Papa from 'papaparse'
import type { TableColumn, TablePreview, Task } from '../../../shared/contract'
import { AppError } from '../errors'
import { describeFsError } from './image-file'

export const maxTableBytes = 256 * 1024 * 1024
const missingTokens = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?', '-'])
/** A numeric target with at most this many distinct whole values is taken as class labels. */
const maxClassesForNumericTarget = 20

export interface ParsedTable {
  delimiter: string
  hasHeader: boolean
  header: string[]
  /** Good rows only, each with exactly `header.length` cells, with their 1-based row numbers in the file. */
  rows: Array<{ rowNumber: number; cells: string[] }>
  problems: Array<{ rowNumber: number; reason: string }>
  columns: TableColumn[]
}

export function isMissing(cell: string): boolean {
  return missingTokens.has(cell.trim().toLowerCase())
}

export function parseNumber(cell: string): number | null {
  const t = cell.trim()
  if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null
  const n = Number(t)
  return Number.isFinite(n) ? n : null
}

function looksLikeHeader(first: string[], rest: string[][]): boolean {
  if (first.some((c) => parseNumber(c) !== null) || first.every((c) => c.trim() === '')) return false
  if (rest.length === 0) return true
  // A header's cells do not recur as values in their own columns, and numeric columns below have a name above.
  return first.some((name, i) => rest.some((r) => parseNumber(r[i] ?? '') !== null)) || first.every((name, i) => !rest.some((r) => r[i] === name))
}

export function parseTableText(text: string, fileName: string): ParsedTable {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const forced = extname(fileName).toLowerCase() === '.tsv' ? '\t' : undefined
  const parsed = Papa.parse<string[]>(body, { delimiter: forced ?? '', skipEmptyLines: 'greedy' })
  const all = parsed.data
  if (all.length === 0) throw new AppError('INVALID_ARGUMENT', `${fileName} has no rows`, 'path')
  const delimiter = parsed.meta.delimiter
  const hasHeader = looksLikeHeader(all[0]!, all.slice(1, 50))
  const width = all[0]!.length
  const header = hasHeader ? all[0]!.map((h, i) => h.trim() || `column ${i + 1}`) : all[0]!.map((_, i) => `column ${i + 1}`)
  const dedup = new Map<string, number>()
  for (let i = 0; i < header.length; i++) {
    const seen = dedup.get(header[i]!) ?? 0
    dedup.set(header[i]!, seen + 1)
    if (seen > 0) header[i] = `${header[i]} (${seen + 1})`
  }
  const rows: ParsedTable['rows'] = []
  const problems: ParsedTable['problems'] = []
  for (const e of parsed.errors) {
    if (e.code !== 'UndetectableDelimiter' && e.row !== undefined) {
      problems.push({ rowNumber: e.row + 1, reason: e.message })
    }
  }
  const badRows = new Set(problems.map((p) => p.rowNumber))
  all.forEach((cells, i) => {
    if (hasHeader && i === 0) return
    const rowNumber = i + 1
    if (badRows.has(rowNumber)) return
    if (cells.length !== width) {
      problems.push({ rowNumber, reason: `row ${rowNumber} has ${cells.length} field${cells.length === 1 ? '' : 's'}, expected ${width}` })
      return
    }
    rows.push({ rowNumber, cells })
  })
  const columns: TableColumn[] = header.map((name, i) => {
    let missing = 0
    let numeric = true
    const distinct = new Set<string>()
    for (const r of rows) {
      const cell = r.cells[i]!
      if (isMissing(cell)) {
        missing++
        continue
      }
      distinct.add(cell.trim())
      if (parseNumber(cell) === null) numeric = false
    }
    return { name, type: numeric && distinct.size > 0 ? 'numeric' : 'categorical', missing, distinct: distinct.size }
  })
  problems.sort((a, b) => a.rowNumber - b.rowNumber)
  return { delimiter, hasHeader, header, rows, problems, columns }
}

export async function readTableFile(path: string): Promise<ParsedTable> {
  let text: string
  try {
    const st = await stat(path)
    if (!st.isFile()) throw new AppError('INVALID_ARGUMENT', `${path} is not a file`, 'path')
    if (st.size > maxTableBytes) throw new AppError('INVALID_ARGUMENT', `${path} is larger than ${maxTableBytes / 2 ** 20} MiB`, 'path')
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (err instanceof AppError) throw err
    throw new AppError('INVALID_ARGUMENT', `${path}: ${describeFsError(err)}`, 'path')
  }
  if (text.includes('\u0000')) throw new AppError('INVALID_ARGUMENT', `${path} is not a text file`, 'path')
  return parseTableText(text, path)
}

/** Classification for text targets and for whole numbers with few distinct values; regression otherwise. */
export function inferTask(table: ParsedTable, target: string): Task {
  const i = table.header.indexOf(target)
  const column = table.columns[i]
  if (!column || column.type === 'categorical') return 'classification'
  const wholeNumbers = table.rows.every((r) => {
    const n = parseNumber(r.cells[i]!)
    return n === null || Number.isInteger(n)
  })
  return wholeNumbers && column.distinct <= maxClassesForNumericTarget ? 'classification' : 'regression'
}

export function previewTable(path: string, table: ParsedTable): TablePreview {
  // The last column is the usual place for the label.
  const suggestedTarget = table.header.at(-1) ?? null
  return {
    path,
    delimiter: table.delimiter,
    hasHeader: table.hasHeader,
    columns: table.columns,
    rows: table.rows.slice(0, 20).map((r) => r.cells),
    rowCount: table.rows.length,
    problems: table.problems.slice(0, 200),
    suggestedTarget,
    suggestedTask: suggestedTarget ? inferTask(table, suggestedTarget) : 'classification',
  }
}
