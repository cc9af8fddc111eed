import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tableCases } from '../../../../tests/fixtures/bad-tables'
import { useTempDirs } from '../../test-support/temp-dir'
import { cellValue, inferTask, parseTableText, readTableFile, withColumnTypes } from './table-file'

const tempDir = useTempDirs()

describe('parseTableText', () => {
  it('detects the header, comma delimiter and column types, and counts missing values', () => {
    const t = parseTableText('height,colour,label\n1.5,red,a\n2,,b\nNA,blue,a\n', 'x.csv')
    expect(t).toMatchObject({ delimiter: ',', hasHeader: true, header: ['height', 'colour', 'label'] })
    expect(t.columns).toEqual([
      { name: 'height', type: 'numeric', missing: 1, distinct: 2, reason: 'every value is a number' },
      { name: 'colour', type: 'categorical', missing: 1, distinct: 2, reason: 'the values are text' },
      { name: 'label', type: 'categorical', missing: 0, distinct: 2, reason: 'the values are text' },
    ])
    expect(t.rows.map((r) => r.rowNumber)).toEqual([2, 3, 4])
  })

  it('sniffs semicolons and tabs, and takes tabs for .tsv files', () => {
    expect(parseTableText('a;b\n1;2\n3;4\n', 'x.csv').delimiter).toBe(';')
    expect(parseTableText('a\tb\n1\t2\n', 'x.csv').delimiter).toBe('\t')
    expect(parseTableText('a,b\tc\n1,2\t3\n', 'x.tsv')).toMatchObject({ delimiter: '\t', header: ['a,b', 'c'] })
  })

  it('strips a UTF-8 byte-order mark and keeps Unicode', () => {
    const t = parseTableText('\uFEFFnom,espèce\n1,chat 🐱\n', 'x.csv')
    expect(t.header).toEqual(['nom', 'espèce'])
    expect(t.rows[0]!.cells).toEqual(['1', 'chat 🐱'])
  })

  it('reads quoted fields with delimiters, quotes and line breaks inside', () => {
    const t = parseTableText('text,label\n"hello, world",a\n"she said ""hi""",b\n"two\nlines",a\n', 'x.csv')
    expect(t.rows.map((r) => r.cells[0])).toEqual(['hello, world', 'she said "hi"', 'two\nlines'])
  })

  it('reports ragged rows with their row numbers and keeps the others', () => {
    const t = parseTableText('a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n', 'x.csv')
    expect(t.rows.map((r) => r.rowNumber)).toEqual([2, 5])
    expect(t.problems).toEqual([
      { rowNumber: 3, reason: 'row 3 has 2 fields, expected 3' },
      { rowNumber: 4, reason: 'row 4 has 4 fields, expected 3' },
    ])
  })

  it('sees that a file without a header starts with data, and names the columns', () => {
    const t = parseTableText('5.1,3.5,setosa\n4.9,3.0,setosa\n', 'x.csv')
    expect(t).toMatchObject({ hasHeader: false, header: ['column 1', 'column 2', 'column 3'] })
    expect(t.rows).toHaveLength(2)
  })

  it('names blank and repeated header cells', () => {
    expect(parseTableText('a,,a\nx,y,z\n', 'x.csv').header).toEqual(['a', 'column 2', 'a (2)'])
  })
})

describe('inferTask', () => {
  const t = parseTableText('x,kind,grade,price\n1,a,1,10.5\n2,b,2,11.25\n3,a,3,9.75\n', 'x.csv')
  it('takes text and few whole numbers as classes, and other numbers as regression', () => {
    expect(inferTask(t, 'kind')).toBe('classification')
    expect(inferTask(t, 'grade')).toBe('classification')
    expect(inferTask(t, 'price')).toBe('regression')
  })
})

describe('bad table inputs: a correct import or a clear message, never a silent guess', () => {
  let clear = 0
  afterAll(() => console.log(`bad inputs: ${tableCases.length} cases, ${clear} clear`))

  it.each(tableCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const path = join(tempDir(), c.file)
    writeFileSync(path, c.data)
    if (c.refused) {
      await expect(readTableFile(path)).rejects.toThrow(c.refused)
      clear++
      return
    }
    const t = await readTableFile(path)
    for (const [name, type] of Object.entries(c.types ?? {}))
      expect(
        t.columns.find((col) => col.name === name),
        name,
      ).toMatchObject({ type })
    for (const w of c.warnings ?? [])
      expect(
        t.warnings.some((x) => x.includes(w)),
        `warning “${w}” in ${JSON.stringify(t.warnings)}`,
      ).toBe(true)
    if (c.encoding) expect(t.encoding).toBe(c.encoding)
    if (c.problemRows) expect(t.problems.map((p) => p.rowNumber)).toEqual(c.problemRows)
    for (const v of c.values ?? []) {
      const i = t.header.indexOf(v.column)
      expect(cellValue(t.columns[i]!, t.rows[v.row]!.cells[i]!)).toBe(v.value)
    }
    // Every column says why it got its type.
    for (const col of t.columns) expect(col.reason).toBeTruthy()
    clear++
  })

  it('lets the user choose a column type, and refuses one the values cannot have', async () => {
    const stray = tableCases.find((c) => c.file === 'stray.csv')!
    const t = parseTableText(stray.data.toString(), 'stray.csv')
    const asText = withColumnTypes(t, { length: 'categorical' })
    expect(asText.columns[0]).toMatchObject({ type: 'categorical', reason: 'chosen: categorical' })
    expect(cellValue(asText.columns[0]!, 'abc')).toBe('abc')
    const mixed = parseTableText('code,label\n12,a\nA7,b\n14,b\n', 'x.csv')
    const forced = withColumnTypes(mixed, { code: 'numeric' })
    expect(forced.columns[0]).toMatchObject({
      type: 'numeric',
      notNumbers: { count: 1, examples: [{ rowNumber: 3, value: 'A7' }] },
    })
    expect(() => withColumnTypes(mixed, { label: 'numeric' })).toThrow(
      'Column “label” has no numbers, so it cannot be numeric',
    )
    expect(() => withColumnTypes(mixed, { nope: 'numeric' })).toThrow(
      'There is no column “nope”; the columns are code, label',
    )
  })
})
