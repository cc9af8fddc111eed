/**
 * Reads a CSV or TSV file into a table: finds its text encoding (UTF-8, UTF-16 by their byte-order marks,
 * else Windows-1252), sniffs the delimiter, decides whether the first row is a header, types each column
 * (numeric — with decimal points or, in a file not separated by commas, decimal commas — or categorical),
 * counts missing values and reports ragged rows with their row numbers (1-based, as a spreadsheet shows
 * them, blank lines counted). Nothing is decided silently: every guess that changes data is a warning.
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
  encoding: string
  warnings: string[]
}

/** Share of a column's values that must be numbers for it to stay numeric, the rest read as missing. */
const numericShare = 0.9

export function isMissing(cell: string): boolean {
  return missingTokens.has(cell.trim().toLowerCase())
}

export function parseNumber(cell: string): number | null {
  const t = cell.trim()
  if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null
  const n = Number(t)
  return Number.isFinite(n) ? n : null
}

/** A number written with a decimal comma (`1,4`, `-0,25`, `12`). */
export function parseCommaNumber(cell: string): number | null {
  const t = cell.trim()
  if (!/^[-+]?\d+(,\d+)?$/.test(t)) return null
  return Number(t.replace(',', '.'))
}

/** A cell of a typed column as stored: a number (null when missing or not a number), or trimmed text. */
export function cellValue(column: Pick<TableColumn, 'type' | 'decimalComma'>, cell: string): string | number | null {
  if (isMissing(cell)) return null
  if (column.type === 'categorical') return cell.trim()
  return column.decimalComma ? parseCommaNumber(cell) : parseNumber(cell)
}

/**
 * The text of a table file and the encoding it was in: a byte-order mark says UTF-8 or UTF-16; without
 * one, valid UTF-8 is UTF-8 and anything else is read as Windows-1252 (a superset of Latin-1).
 */
export function decodeTable(data: Uint8Array): { text: string; encoding: string } {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf)
    return { text: new TextDecoder('utf-8').decode(data.subarray(3)), encoding: 'UTF-8 (with BOM)' }
  if (data[0] === 0xff && data[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(data.subarray(2)), encoding: 'UTF-16 LE' }
  if (data[0] === 0xfe && data[1] === 0xff)
    return { text: new TextDecoder('utf-16be').decode(data.subarray(2)), encoding: 'UTF-16 BE' }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(data), encoding: 'UTF-8' }
  } catch {
    return { text: new TextDecoder('windows-1252').decode(data), encoding: 'Windows-1252' }
  }
}

function looksLikeHeader(first: string[], rest: string[][]): boolean {
  if (first.some((c) => parseNumber(c) !== null) || first.every((c) => c.trim() === '')) return false
  if (rest.length === 0) return true
  // A header's cells do not recur as values in their own columns, and numeric columns below have a name above.
  return (
    first.some((name, i) => rest.some((r) => parseNumber(r[i] ?? '') !== null)) ||
    first.every((name, i) => !rest.some((r) => r[i] === name))
  )
}

const blank = (cells: string[]): boolean => cells.every((c) => c.trim() === '')

export function parseTableText(text: string, fileName: string, encoding = 'UTF-8'): ParsedTable {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const forced = extname(fileName).toLowerCase() === '.tsv' ? '\t' : undefined
  // The delimiter is sniffed without blank lines (they look like one-field rows); then the rows are read
  // with them kept (and skipped below), so that every row keeps the number a spreadsheet gives it.
  const sniffed =
    forced ??
    Papa.parse<string[]>(body.slice(0, 64 * 1024), { delimiter: '', skipEmptyLines: 'greedy', preview: 50 }).meta
      .delimiter
  const parsed = Papa.parse<string[]>(body, { delimiter: sniffed, skipEmptyLines: false })
  const lines = parsed.data.map((cells, i) => ({ rowNumber: i + 1, cells })).filter((l) => !blank(l.cells))
  if (lines.length === 0) throw new AppError('INVALID_ARGUMENT', `${fileName} is empty: it has no rows`, 'path')
  const delimiter = parsed.meta.delimiter
  const first = lines[0]!
  const hasHeader = looksLikeHeader(
    first.cells,
    lines.slice(1, 50).map((l) => l.cells),
  )
  const width = first.cells.length
  const warnings: string[] = []
  if (encoding !== 'UTF-8')
    warnings.push(
      `Read as ${encoding} text${encoding === 'Windows-1252' ? ' (it is not valid UTF-8): check that accented letters look right' : ''}`,
    )
  const header = hasHeader
    ? first.cells.map((h, i) => h.trim() || `column ${i + 1}`)
    : first.cells.map((_, i) => `column ${i + 1}`)
  const dedup = new Map<string, number>()
  for (let i = 0; i < header.length; i++) {
    const seen = dedup.get(header[i]!) ?? 0
    dedup.set(header[i]!, seen + 1)
    if (seen > 0) {
      warnings.push(`Two columns are named “${header[i]}”: column ${i + 1} is imported as “${header[i]} (${seen + 1})”`)
      header[i] = `${header[i]} (${seen + 1})`
    }
  }
  const rows: ParsedTable['rows'] = []
  const problems: ParsedTable['problems'] = []
  for (const e of parsed.errors) {
    if (e.code !== 'UndetectableDelimiter' && e.row !== undefined) {
      problems.push({ rowNumber: e.row + 1, reason: `row ${e.row + 1}: ${e.message}` })
    }
  }
  const badRows = new Set(problems.map((p) => p.rowNumber))
  for (const { rowNumber, cells } of hasHeader ? lines.slice(1) : lines) {
    if (badRows.has(rowNumber)) continue
    if (cells.length !== width) {
      problems.push({
        rowNumber,
        reason: `row ${rowNumber} has ${cells.length} field${cells.length === 1 ? '' : 's'}, expected ${width}`,
      })
      continue
    }
    rows.push({ rowNumber, cells })
  }
  if (rows.length === 0) {
    const why =
      hasHeader && lines.length === 1
        ? 'it has a header row but no data rows'
        : `none of its ${lines.length - (hasHeader ? 1 : 0)} rows can be used (${problems[0]?.reason ?? 'no rows'})`
    throw new AppError('INVALID_ARGUMENT', `${fileName} cannot be imported: ${why}`, 'path')
  }
  const columns = header.map((name, i) => typeColumn(name, rows, i, delimiter))
  columns.forEach((c) => {
    if (c.notNumbers) {
      const rowsList = c.notNumbers.examples
        .slice(0, 5)
        .map((e) => `row ${e.rowNumber} “${e.value}”`)
        .join(', ')
      warnings.push(
        `“${c.name}” is numeric, but ${c.notNumbers.count} value${c.notNumbers.count === 1 ? ' is' : 's are'} not a number (${rowsList}${c.notNumbers.count > 5 ? ', …' : ''}): read as missing. Make the column categorical to keep them as text.`,
      )
    }
  })
  const commaColumns = columns.map((c, i) => ({ c, i })).filter(({ c }) => c.decimalComma)
  if (commaColumns.length > 0) {
    const { i } = commaColumns[0]!
    const example = rows.find((r) => r.cells[i]!.includes(','))!.cells[i]!.trim()
    const names = commaColumns.map(({ c }) => `“${c.name}”`)
    warnings.push(
      `Decimal commas (as in ${example}) are read as numbers in ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]}`,
    )
  }
  problems.sort((a, b) => a.rowNumber - b.rowNumber)
  return { delimiter, hasHeader, header, rows, problems, columns, encoding, warnings }
}

interface ColumnValues {
  missing: number
  /** The non-missing cells, trimmed, with their rows. */
  values: Array<{ rowNumber: number; value: string }>
  distinct: Set<string>
  /** Numbers written with decimal commas (more of them parse that way than with points, in a file not separated by commas). */
  decimalComma: boolean
  parse: (cell: string) => number | null
  /** How many values parse as numbers. */
  numbers: number
}

function columnValues(rows: ParsedTable['rows'], i: number, delimiter: string): ColumnValues {
  let missing = 0
  const values: ColumnValues['values'] = []
  const distinct = new Set<string>()
  for (const r of rows) {
    const cell = r.cells[i]!
    if (isMissing(cell)) missing++
    else {
      values.push({ rowNumber: r.rowNumber, value: cell.trim() })
      distinct.add(cell.trim())
    }
  }
  const dots = values.filter((v) => parseNumber(v.value) !== null).length
  const commas = delimiter === ',' ? 0 : values.filter((v) => parseCommaNumber(v.value) !== null).length
  const decimalComma = commas > dots && values.some((v) => v.value.includes(','))
  return {
    missing,
    values,
    distinct,
    decimalComma,
    parse: decimalComma ? parseCommaNumber : parseNumber,
    numbers: decimalComma ? commas : dots,
  }
}

/** The column as numbers: the values that are not numbers read as missing, and listed. */
function numericColumn(name: string, v: ColumnValues, reason: string): TableColumn {
  const bad = v.values.filter((x) => v.parse(x.value) === null)
  return {
    name,
    type: 'numeric',
    missing: v.missing + bad.length,
    distinct: v.distinct.size - new Set(bad.map((b) => b.value)).size,
    ...(v.decimalComma ? { decimalComma: true } : {}),
    reason,
    ...(bad.length > 0 ? { notNumbers: { count: bad.length, examples: bad.slice(0, 20) } } : {}),
  }
}

/**
 * A column's type and why: numeric when every value is a number (with decimal points, or with decimal
 * commas in a file not separated by commas) or when at least 90 % are and there are ten or more — the
 * rest then read as missing, listed; categorical otherwise.
 */
function typeColumn(name: string, rows: ParsedTable['rows'], i: number, delimiter: string): TableColumn {
  const v = columnValues(rows, i, delimiter)
  const categorical = (reason: string): TableColumn => ({
    name,
    type: 'categorical',
    missing: v.missing,
    distinct: v.distinct.size,
    reason,
  })
  if (v.values.length === 0) return categorical('every value is missing')
  if (v.numbers === v.values.length)
    return numericColumn(
      name,
      v,
      v.decimalComma ? 'every value is a number with a decimal comma' : 'every value is a number',
    )
  const others = v.values.length - v.numbers
  if (v.values.length >= 10 && v.numbers / v.values.length >= numericShare) {
    return numericColumn(
      name,
      v,
      `${v.numbers} of ${v.values.length} values are numbers; ${others === 1 ? 'the other one is' : `the other ${others} are`} read as missing`,
    )
  }
  const text = v.values.find((x) => v.parse(x.value) === null)!
  return categorical(
    v.numbers === 0
      ? 'the values are text'
      : `${others} of ${v.values.length} values are text, e.g. “${text.value}” in row ${text.rowNumber}`,
  )
}

/** The table with the user's choice of column types applied (categorical always; numeric where values are numbers). */
export function withColumnTypes(table: ParsedTable, types: Record<string, 'numeric' | 'categorical'>): ParsedTable {
  const unknown = Object.keys(types).filter((name) => !table.header.includes(name))
  if (unknown.length > 0)
    throw new AppError(
      'INVALID_ARGUMENT',
      `There is no column ${unknown.map((n) => `“${n}”`).join(', ')}; the columns are ${table.header.join(', ')}`,
      'columnTypes',
    )
  const columns = table.columns.map((c, i) => {
    const want = types[c.name]
    if (!want || want === c.type) return c
    const v = columnValues(table.rows, i, table.delimiter)
    if (want === 'categorical')
      return {
        name: c.name,
        type: 'categorical' as const,
        missing: v.missing,
        distinct: v.distinct.size,
        reason: 'chosen: categorical',
      }
    if (v.numbers === 0)
      throw new AppError(
        'INVALID_ARGUMENT',
        `Column “${c.name}” has no numbers, so it cannot be numeric`,
        'columnTypes',
      )
    return numericColumn(c.name, v, 'chosen: numeric')
  })
  return { ...table, columns }
}

export async function readTableFile(path: string): Promise<ParsedTable> {
  let data: Buffer
  try {
    const st = await stat(path)
    if (!st.isFile()) throw new AppError('INVALID_ARGUMENT', `${path} is not a file`, 'path')
    if (st.size > maxTableBytes)
      throw new AppError('INVALID_ARGUMENT', `${path} is larger than ${maxTableBytes / 2 ** 20} MiB`, 'path')
    data = await readFile(path)
  } catch (err) {
    if (err instanceof AppError) throw err
    throw new AppError('INVALID_ARGUMENT', `${path}: ${describeFsError(err)}`, 'path')
  }
  const { text, encoding } = decodeTable(data)
  if (text.includes('\u0000')) throw new AppError('INVALID_ARGUMENT', `${path} is not a text file`, 'path')
  return parseTableText(text, path, encoding)
}

/** Classification for text targets and for whole numbers with few distinct values; regression otherwise. */
export function inferTask(table: ParsedTable, target: string): Task {
  const i = table.header.indexOf(target)
  const column = table.columns[i]
  if (!column || column.type === 'categorical') return 'classification'
  const wholeNumbers = table.rows.every((r) => {
    const n = cellValue(column, r.cells[i]!)
    return n === null || (typeof n === 'number' && Number.isInteger(n))
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
    encoding: table.encoding,
    warnings: table.warnings,
  }
}
