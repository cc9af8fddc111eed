import { describe, expect, it } from 'vitest'
import { trainingMemoryLimit } from './memory-limit'

describe('what training may use', () => {
  it('is the wasm heap’s 4 GB on the WebAssembly engine, and three quarters of the memory otherwise', () => {
    expect(trainingMemoryLimit(24 * 2 ** 30, false)).toEqual({
      bytes: 4 * 2 ** 30,
      reason: 'the WebAssembly engine’s 4 GB limit',
    })
    expect(trainingMemoryLimit(24 * 2 ** 30, true)).toEqual({
      bytes: 18 * 2 ** 30,
      reason: 'three quarters of its 24 GB of memory',
    })
    expect(trainingMemoryLimit(4 * 2 ** 30, false)).toEqual({
      bytes: 3 * 2 ** 30,
      reason: 'three quarters of its 4 GB of memory',
    })
  })
})
