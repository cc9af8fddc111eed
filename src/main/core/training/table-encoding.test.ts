import { describe, expect, it } from 'vitest'
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
    expect([...encodeRows(enc, [{ size: 3, colour: 'green' }, { size: null, colour: 'purple' }])]).toEqual([1, 0, 1, 0, 0, 0, 0, 0])
  })

  it('does not divide by zero for a constant column', () => {
    const enc = fitEncoder([columns[0]!], [{ size: 5 }, { size: 5 }])
    expect([...encodeRows(enc, [{ size: 5 }])]).toEqual([0])
  })
})
