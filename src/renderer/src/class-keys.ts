/**
 * Which key labels which class, the same on every screen that labels by keyboard (the grid, the class
 * list, label suggestions, the mistakes gallery). When every class is named by one digit (the digits
 * sample: 0–9), the digit key labels that digit. Otherwise the first ten classes get 1–9 and then 0, in
 * the order shown; classes after the tenth have no key (click them, or select images and click).
 */
export interface Keyed {
  id: number
  name: string
}

export function classKeys<C extends Keyed>(classes: readonly C[]): Array<{ key: string; cls: C }> {
  const names = classes.map((c) => c.name.trim())
  if (classes.length > 0 && names.every((n) => /^[0-9]$/.test(n)) && new Set(names).size === names.length) {
    return classes.map((cls, i) => ({ key: names[i]!, cls }))
  }
  return classes.slice(0, 10).map((cls, i) => ({ key: i === 9 ? '0' : String(i + 1), cls }))
}

/** The class that `key` labels, if any. */
export function classForKey<C extends Keyed>(classes: readonly C[], key: string): C | undefined {
  return classKeys(classes).find((k) => k.key === key)?.cls
}

/** The key shown next to class `id`, or null when it has none. */
export function keyOfClass(classes: readonly Keyed[], id: number): string | null {
  return classKeys(classes).find((k) => k.cls.id === id)?.key ?? null
}

/** For the hints: "0–9", "1, 3, 7" (digit names), "1–3", "1–9, 0" (positions), or "" with no classes. */
export function keyRange(classes: readonly Keyed[]): string {
  const keys = classKeys(classes).map((k) => k.key)
  if (keys.length <= 1) return keys[0] ?? ''
  const byName = keys.some((k, i) => k !== (i === 9 ? '0' : String(i + 1)))
  if (byName) return keys.length === 10 ? '0–9' : [...keys].sort().join(', ')
  return keys.length === 10 ? '1–9, 0' : `1–${keys.length}`
}

/** Said under the class list when some classes have no key. */
export function unkeyedNote(classes: readonly Keyed[]): string | null {
  const keyed = classKeys(classes).length
  return classes.length > keyed
    ? 'Classes after the tenth have no key: select images and click the class to label them.'
    : null
}
