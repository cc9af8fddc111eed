import { describe, expect, it } from 'vitest'
import { kfoldAssignment, seededRandom, stratifiedSplit, type Splittable } from './split'

function items(perClass: Record<number, number>): Splittable[] {
  const out: Splittable[] = []
  let id = 1
  for (const [group, n] of Object.entries(perClass)) {
    for (let i = 0; i < n; i++, id++)
      out.push({ id, hash: ((id * 2654435761) % 2 ** 32).toString(16).padStart(8, '0'), group: Number(group) })
  }
  return out
}

describe('stratifiedSplit', () => {
  const ratios = { train: 0.8, validation: 0.1, test: 0.1 }

  it('cuts every class by the ratios', () => {
    const split = stratifiedSplit(items({ 1: 100, 2: 50, 3: 10 }), ratios, 7)
    const count = (group: number, s: string): number =>
      items({ 1: 100, 2: 50, 3: 10 }).filter((i) => i.group === group && split.get(i.id) === s).length
    expect([count(1, 'train'), count(1, 'validation'), count(1, 'test')]).toEqual([80, 10, 10])
    expect([count(2, 'train'), count(2, 'validation'), count(2, 'test')]).toEqual([40, 5, 5])
    expect([count(3, 'train'), count(3, 'validation'), count(3, 'test')]).toEqual([8, 1, 1])
  })

  it('gives the same split for the same seed, whatever the input order, and another for another seed', () => {
    const data = items({ 1: 40, 2: 40 })
    const a = stratifiedSplit(data, ratios, 42)
    const b = stratifiedSplit([...data].reverse(), ratios, 42)
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort())
    const c = stratifiedSplit(data, ratios, 43)
    expect([...a.entries()].sort()).not.toEqual([...c.entries()].sort())
  })

  it('keeps at least one validation and one test example for a class of three', () => {
    const split = stratifiedSplit(items({ 1: 3 }), ratios, 1)
    expect([...split.values()].sort()).toEqual(['test', 'train', 'validation'])
  })

  it('puts everything in train when the other ratios are zero', () => {
    const split = stratifiedSplit(items({ 1: 5 }), { train: 1, validation: 0, test: 0 }, 1)
    expect([...split.values()]).toEqual(['train', 'train', 'train', 'train', 'train'])
  })
})

describe('seededRandom', () => {
  it('is reproducible and spread over [0, 1)', () => {
    const a = seededRandom(5)
    const b = seededRandom(5)
    const xs = Array.from({ length: 1000 }, () => a())
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()))
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1)
  })
})

describe('kfoldAssignment', () => {
  const data = items({ 1: 30, 2: 12, 3: 7 })

  it('puts every sample in exactly one fold, stratified by class', () => {
    const folds = kfoldAssignment(data, 3, 11)
    expect(folds.size).toBe(data.length)
    for (const group of [1, 2, 3]) {
      const sizes = [0, 1, 2].map((f) => data.filter((d) => d.group === group && folds.get(d.id) === f).length)
      expect(Math.max(...sizes) - Math.min(...sizes), `class ${group}: ${sizes}`).toBeLessThanOrEqual(1)
    }
    const total = [0, 1, 2].map((f) => [...folds.values()].filter((v) => v === f).length)
    expect(Math.max(...total) - Math.min(...total)).toBeLessThanOrEqual(1)
  })

  it('is the same for the same seed, whatever the order, and differs for another seed', () => {
    const a = kfoldAssignment(data, 5, 3)
    expect([...kfoldAssignment([...data].reverse(), 5, 3).entries()].sort()).toEqual([...a.entries()].sort())
    expect([...kfoldAssignment(data, 5, 4).entries()].sort()).not.toEqual([...a.entries()].sort())
  })

  it('refuses k below 2', () => {
    expect(() => kfoldAssignment(data, 1, 0)).toThrow('k must be a whole number of at least 2, not 1')
  })
})
