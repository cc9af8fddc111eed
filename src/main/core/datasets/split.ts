/**
 * Stratified train/validation/test assignment: within each class, samples are ordered by content hash
 * (so the result does not depend on import order), shuffled with a seeded generator, and cut by the
 * ratios. The same samples, ratios and seed always give the same split.
 */
import type { Split } from '../../../shared/contract'

/** mulberry32: a small, fast, seedable generator; good enough for shuffling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

export interface SplitRatios {
  train: number
  validation: number
  test: number
}

export interface Splittable {
  id: number
  hash: string
  /** The stratum: a class id, or any key (e.g. a binned target for regression). */
  group: number | string
}

/**
 * Per group of n: round(n·validation) to validation and round(n·test) to test (at least one each when
 * the ratio is non-zero and n ≥ 3), the rest to train.
 */
export function stratifiedSplit(items: readonly Splittable[], ratios: SplitRatios, seed: number): Map<number, Split> {
  const groups = groupBy(items)
  const out = new Map<number, Split>()
  const keys = [...groups.keys()].sort((a, b) => String(a).localeCompare(String(b)))
  for (const key of keys) {
    const members = groups
      .get(key)!
      .slice()
      .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0))
    // Each group gets its own stream, so adding a class does not reshuffle the others.
    shuffleInPlace(members, seededRandom(seed ^ hashString(String(key))))
    const n = members.length
    const atLeastOne = (r: number): number => (r > 0 && n >= 3 ? Math.max(1, Math.round(n * r)) : Math.round(n * r))
    const nVal = atLeastOne(ratios.validation)
    const nTest = Math.min(atLeastOne(ratios.test), n - nVal)
    members.forEach((m, i) => out.set(m.id, i < nVal ? 'validation' : i < nVal + nTest ? 'test' : 'train'))
  }
  return out
}

/** Items by group, in first-seen order. */
function groupBy(items: readonly Splittable[]): Map<number | string, Splittable[]> {
  const groups = new Map<number | string, Splittable[]>()
  for (const item of items) {
    const g = groups.get(item.group)
    if (g) g.push(item)
    else groups.set(item.group, [item])
  }
  return groups
}

function hashString(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

/**
 * k-fold assignment for cross-validation: within each group (class), samples ordered by content hash
 * and shuffled with the seed are dealt round-robin to folds 0…k-1, so folds are disjoint, cover every
 * sample, are stratified, and are the same for the same seed.
 */
export function kfoldAssignment(items: readonly Splittable[], k: number, seed: number): Map<number, number> {
  if (!Number.isInteger(k) || k < 2) throw new Error(`k must be a whole number of at least 2, not ${k}`)
  const groups = groupBy(items)
  const out = new Map<number, number>()
  let offset = 0
  for (const key of [...groups.keys()].sort((a, b) => String(a).localeCompare(String(b)))) {
    const members = groups
      .get(key)!
      .slice()
      .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0))
    shuffleInPlace(members, seededRandom(seed ^ hashString(`fold:${String(key)}`)))
    // Each class starts where the last one stopped, so small classes do not all land in fold 0.
    members.forEach((m, i) => out.set(m.id, (offset + i) % k))
    offset = (offset + members.length) % k
  }
  return out
}
