import { describe, expect, it } from 'vitest'
import { defaultDataDir } from './data-dir'

describe('defaultDataDir', () => {
  it('matches where Electron keeps userData for an app named ModelBench', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/x/config' }, 'linux')).toBe('/x/config/ModelBench')
    expect(defaultDataDir({ APPDATA: 'C:/Users/a/AppData/Roaming' }, 'win32')).toMatch(/Roaming[\\/]ModelBench$/)
    expect(defaultDataDir({}, 'darwin')).toMatch(/Library\/Application Support\/ModelBench$/)
  })
})
