import { describe, expect, it } from 'vitest'
import { prepareRows } from '../../export-runtime/runtime'
import { encodeRows, fitEncoder } from './table-encoding'

describe('table encoding', () => {
  const columns = [
    { name: 'size', type: 'numeric' as const, missing: 1, distinct: 3 },
    { name: 'colour', type: 'categorical' as const, missing: 0, distinct: 3 },
  ]
  const train = [
    { size: 1, colour: 'red' },
    { size: 3, colour: 'blue' },
  ]
  const all = [...train, { size: 10, colour: 'green' }]

  it('standardises numbers with training statistics and one-hot encodes categories from all rows', () => {
    const enc = fitEncoder(columns, train, all)
    expect(enc.columns).toEqual([
      { name: 'size', type: 'numeric', mean: 2, std: 1 },
      { name: 'colour', type: 'categorical', categories: ['blue', 'green', 'red'] },
    ])
    expect(enc.featureCount).toBe(4)
    expect([
      ...encodeRows(enc, [
        { size: 3, colour: 'green' },
        { size: null, colour: 'purple' },
      ]),
    ]).toEqual([1, 0, 1, 0, 0, 0, 0, 0])
  })

  it('does not divide by zero for a constant column', () => {
    const enc = fitEncoder([columns[0]!], [{ size: 5 }, { size: 5 }])
    expect([...encodeRows(enc, [{ size: 5 }])]).toEqual([0])
  })

  it('encodes the same rows as the export runtime, numbers sent as text and bad values included', () => {
    const enc = fitEncoder(columns, train, all)
    const rows = [
      { size: 3, colour: 'red' },
      { size: '3', colour: 'blue' },
      { size: ' 4.5 ', colour: 'green' },
      { size: '1e1', colour: 'red' },
      { size: 'abc', colour: 'purple' },
      { size: '', colour: null },
      { size: null, colour: 'red' },
    ]
    const app = [...encodeRows(enc, rows)]
    const runtime = [
      ...prepareRows({ kind: 'table', columns: enc.columns, featureCount: enc.featureCount, output: 'softmax' }, rows),
    ]
    expect(app).toEqual(runtime)
    // "3" is 3, not the mean.
    expect(app.slice(4, 5)).toEqual([1])
  })
})
