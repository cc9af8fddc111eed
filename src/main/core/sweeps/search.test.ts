import { describe, expect, it } from 'vitest'
import { sweepParamSchema, type SweepParam } from '../../../shared/sweep'
import { seededRandom } from '../datasets/split'
import { gridPoint, gridSize, gridValues, randomPoint, spaceProblem, tpePropose, type Observation } from './search'

const param = (p: unknown): SweepParam => sweepParamSchema.parse(p)

describe('grid search', () => {
  it('enumerates the cartesian product, the last parameter fastest', () => {
    const space = [
      param({ path: 'learningRate', kind: 'float', low: 0.0001, high: 0.01, log: true, gridPoints: 3 }),
      param({ path: 'optimizer', kind: 'categorical', choices: ['adam', 'sgd'] }),
      param({ path: 'layers.2.units', kind: 'int', low: 16, high: 64, step: 16 }),
    ]
    expect(gridValues(space[0]!)).toEqual([0.0001, 0.001, 0.01])
    expect(gridValues(space[2]!)).toEqual([16, 32, 48, 64])
    expect(gridSize(space)).toBe(24)
    const points = Array.from({ length: 24 }, (_, i) => gridPoint(space, i))
    expect(points[0]).toEqual({ learningRate: 0.0001, optimizer: 'adam', 'layers.2.units': 16 })
    expect(points[1]).toEqual({ learningRate: 0.0001, optimizer: 'adam', 'layers.2.units': 32 })
    expect(points[4]).toEqual({ learningRate: 0.0001, optimizer: 'sgd', 'layers.2.units': 16 })
    expect(points[23]).toEqual({ learningRate: 0.01, optimizer: 'sgd', 'layers.2.units': 64 })
    expect(new Set(points.map((p) => JSON.stringify(p))).size).toBe(24)
    expect(gridValues(param({ path: 'dropout', kind: 'float', low: 0.1, high: 0.5, gridPoints: 5 }))).toEqual([
      0.1, 0.2, 0.3, 0.4, 0.5,
    ])
    expect(gridValues(param({ path: 'layers.1.present', kind: 'categorical', choices: [true, false] }))).toEqual([
      true,
      false,
    ])
  })

  it('refuses an empty or impossible space with the reason', () => {
    expect(spaceProblem([], 'random')).toBe('The search space is empty: add at least one setting to vary')
    expect(spaceProblem([param({ path: 'learningRate', kind: 'float', low: 0.1, high: 0.01 })], 'random')).toBe(
      'learning rate: the lowest value (0.1) is above the highest (0.01)',
    )
    expect(spaceProblem([param({ path: 'learningRate', kind: 'float', low: 0, high: 0.01, log: true })], 'tpe')).toBe(
      'learning rate: a log scale needs values above 0 (lowest is 0)',
    )
    expect(
      spaceProblem(
        [param({ path: 'a', kind: 'int', low: 1, high: 2 }), param({ path: 'a', kind: 'int', low: 1, high: 3 })],
        'grid',
      ),
    ).toBe('a appears twice in the search space')
    const huge = [1, 2, 3, 4].map((i) => param({ path: `p${i}`, kind: 'int', low: 1, high: 10 }))
    expect(spaceProblem(huge, 'grid')).toBe(
      'The grid has 10,000 points; narrow it to 1,000 or fewer, or use random or TPE search',
    )
    expect(spaceProblem(huge, 'random')).toBeNull()
  })
})

describe('random search', () => {
  const space = [
    param({ path: 'learningRate', kind: 'float', low: 1e-4, high: 1e-1, log: true }),
    param({ path: 'units', kind: 'int', low: 8, high: 128, step: 8 }),
    param({ path: 'optimizer', kind: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] }),
  ]

  it('is reproducible with its seed, and another seed gives other points', () => {
    const draw = (seed: number): unknown[] => {
      const random = seededRandom(seed)
      return Array.from({ length: 20 }, () => randomPoint(space, random))
    }
    expect(draw(5)).toEqual(draw(5))
    expect(draw(6)).not.toEqual(draw(5))
  })

  it('stays in range: log-uniform floats, integers on their steps, every choice drawn', () => {
    const random = seededRandom(1)
    const points = Array.from({ length: 400 }, () => randomPoint(space, random))
    for (const p of points) {
      expect(p.learningRate).toBeGreaterThanOrEqual(1e-4)
      expect(p.learningRate).toBeLessThanOrEqual(1e-1)
      expect(((p.units as number) - 8) % 8).toBe(0)
    }
    // Log-uniform: about a third of the draws in each decade.
    const lowDecade = points.filter((p) => (p.learningRate as number) < 1e-3).length
    expect(lowDecade).toBeGreaterThan(100)
    expect(lowDecade).toBeLessThan(170)
    expect(new Set(points.map((p) => p.optimizer))).toEqual(new Set(['adam', 'sgd', 'rmsprop']))
    expect(new Set(points.map((p) => p.units)).size).toBe(16)
  })
})

/** The Branin function: minimum 0.397887 at three points in x ∈ [-5, 10], y ∈ [0, 15]. */
function branin(x: number, y: number): number {
  const b = 5.1 / (4 * Math.PI ** 2)
  const c = 5 / Math.PI
  const t = 1 / (8 * Math.PI)
  return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * Math.cos(x) + 10
}

describe('TPE', () => {
  const space = [
    param({ path: 'x', kind: 'float', low: -5, high: 10 }),
    param({ path: 'y', kind: 'float', low: 0, high: 15 }),
  ]

  function bestAfter(strategy: 'tpe' | 'random', seed: number, budget: number): number {
    const random = seededRandom(seed)
    const history: Observation[] = []
    for (let i = 0; i < budget; i++) {
      const p = strategy === 'tpe' ? tpePropose(space, history, random) : randomPoint(space, random)
      history.push({ params: p, loss: branin(p.x as number, p.y as number) })
    }
    return Math.min(...history.map((h) => h.loss))
  }

  it('reaches a better mean best value than random search on Branin with the same budget (20 seeds × 40 trials)', () => {
    const seeds = Array.from({ length: 20 }, (_, i) => 100 + i)
    const tpe = seeds.map((s) => bestAfter('tpe', s, 40))
    const random = seeds.map((s) => bestAfter('random', s, 40))
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length
    console.log(
      `Branin, 40 trials, 20 seeds: mean best TPE ${mean(tpe).toFixed(3)} vs random ${mean(random).toFixed(3)} (optimum 0.398)`,
    )
    expect(mean(tpe)).toBeLessThan(mean(random))
    // Not carried by one lucky seed: TPE is ahead on at least half of them.
    expect(tpe.filter((v, i) => v < random[i]!).length).toBeGreaterThanOrEqual(10)
  })

  it('samples randomly during its start-up trials and then concentrates near good values', () => {
    const random = seededRandom(3)
    const history: Observation[] = []
    for (let i = 0; i < 60; i++) {
      const p = tpePropose(space, history, random)
      history.push({ params: p, loss: branin(p.x as number, p.y as number) })
    }
    const late = history.slice(40).map((h) => h.loss)
    const early = history.slice(0, 10).map((h) => h.loss)
    const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!
    expect(median(late)).toBeLessThan(median(early))
  })

  it('handles categorical and integer parameters, and is reproducible with its seed', () => {
    const mixed = [
      param({ path: 'optimizer', kind: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] }),
      param({ path: 'units', kind: 'int', low: 8, high: 64, step: 8 }),
    ]
    const loss = (p: Record<string, unknown>): number =>
      (p.optimizer === 'sgd' ? 0 : 1) + Math.abs((p.units as number) - 40) / 10
    const run = (seed: number): Observation[] => {
      const random = seededRandom(seed)
      const history: Observation[] = []
      for (let i = 0; i < 40; i++) {
        const p = tpePropose(mixed, history, random)
        history.push({ params: p, loss: loss(p) })
      }
      return history
    }
    const a = run(9)
    expect(run(9)).toEqual(a)
    for (const h of a) expect([8, 16, 24, 32, 40, 48, 56, 64]).toContain(h.params.units)
    const late = a.slice(25)
    expect(late.filter((h) => h.params.optimizer === 'sgd').length).toBeGreaterThan(late.length / 2)
  })
})
