import { describe, expect, it } from 'vitest'
import { classForKey, classKeys, keyOfClass, keyRange, unkeyedNote } from './class-keys'

const named = (...names: string[]): Array<{ id: number; name: string }> =>
  names.map((name, i) => ({ id: 100 + i, name }))

describe('class keys', () => {
  it('labels a digit with its own key when every class is a digit, whatever the order', () => {
    const digits = named('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
    expect(classForKey(digits, '7')?.name).toBe('7')
    expect(classForKey(digits, '0')?.name).toBe('0')
    expect(classForKey(digits, '9')?.name).toBe('9')
    expect(keyRange(digits)).toBe('0–9')
    const shuffled = named('3', '7', '1')
    expect(classForKey(shuffled, '7')?.name).toBe('7')
    expect(classForKey(shuffled, '2')).toBeUndefined()
    expect(keyRange(shuffled)).toBe('1, 3, 7')
  })

  it('numbers other classes 1–9 then 0 in the order shown, and says when some have no key', () => {
    const pets = named('cats', 'dogs', 'birds')
    expect(classKeys(pets).map((k) => `${k.key}=${k.cls.name}`)).toEqual(['1=cats', '2=dogs', '3=birds'])
    expect(keyRange(pets)).toBe('1–3')
    expect(unkeyedNote(pets)).toBeNull()
    const many = named(...Array.from({ length: 12 }, (_, i) => `c${i + 1}`))
    expect(keyOfClass(many, many[9]!.id)).toBe('0')
    expect(keyOfClass(many, many[10]!.id)).toBeNull()
    expect(keyRange(many)).toBe('1–9, 0')
    expect(unkeyedNote(many)).toMatch(/after the tenth have no key/)
    // Digits mixed with a word: positions, not names.
    expect(classForKey(named('0', '1', 'other'), '1')?.name).toBe('0')
  })
})
