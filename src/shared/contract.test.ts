import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { eventNames, isMethodName, methodNames } from './contract'
import { contentSecurityPolicy } from './csp'
import { inputSchemas } from './schemas'

describe('contract', () => {
  it('has a schema for exactly the listed methods', () => {
    expect(Object.keys(inputSchemas).sort()).toEqual([...methodNames].sort())
  })

  it('names methods domain.verbNoun and events domain.somethingHappened', () => {
    for (const m of methodNames) expect(m).toMatch(/^[a-z]+\.[a-z]+[A-Za-z]*$/)
    for (const e of eventNames) expect(e).toMatch(/^[a-z]+\.[a-z]+[A-Za-z]*$/)
  })

  it('does not treat inherited object keys as methods', () => {
    expect(isMethodName('toString')).toBe(false)
    expect(isMethodName('__proto__')).toBe(false)
  })

  it('keeps the CSP in index.html identical to the one the server sends', () => {
    const html = readFileSync(new URL('../renderer/index.html', import.meta.url), 'utf8')
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1]
    expect(meta).toBe(contentSecurityPolicy)
  })
})
