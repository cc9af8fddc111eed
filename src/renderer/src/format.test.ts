import { describe, expect, it } from 'vitest'
import { engineDetail, formatDuration, percent } from './format'

describe('number formats', () => {
  it('shows fractions as percentages with one decimal, and a dash for no value', () => {
    expect(percent(0.9678)).toBe('96.8 %')
    expect(percent(0)).toBe('0.0 %')
    expect(percent(1)).toBe('100.0 %')
    expect(percent(null)).toBe('—')
    expect(percent(undefined)).toBe('—')
  })

  it('shows seconds, then minutes and seconds', () => {
    expect(formatDuration(0.4)).toBe('0 s')
    expect(formatDuration(42.4)).toBe('42 s')
    expect(formatDuration(185)).toBe('3 min 5 s')
    expect(formatDuration(3600)).toBe('60 min 0 s')
  })

  it('names the backend, and the threads where a run trained on more than one', () => {
    expect(engineDetail({ backend: 'wasm', threads: 2 })).toBe('wasm, 2 threads')
    expect(engineDetail({ backend: 'wasm', threads: 1 })).toBe('wasm')
    expect(engineDetail({ backend: 'tensorflow' })).toBe('tensorflow')
  })

  it('names the WebGPU adapter a run trained on, and says when it is a software one', () => {
    const adapter = {
      vendor: 'google',
      architecture: 'swiftshader',
      device: '',
      description: 'SwiftShader driver 5.0.0',
      software: true,
      maxBufferSize: 2 ** 30,
      maxStorageBufferBindingSize: 2 ** 30,
    }
    expect(engineDetail({ backend: 'webgpu', adapter })).toBe(
      'on google swiftshader (SwiftShader driver 5.0.0), software',
    )
    expect(
      engineDetail({
        backend: 'webgpu',
        adapter: { ...adapter, vendor: 'apple', architecture: 'metal-3', description: '', software: false },
      }),
    ).toBe('on apple metal-3')
  })
})
