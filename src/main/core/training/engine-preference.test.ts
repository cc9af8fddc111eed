import { afterEach, describe, expect, it } from 'vitest'
import { useTempDirs } from '../../test-support/temp-dir'
import { openDatabase } from '../store/database'
import { engineFromEnvironment } from './engine'
import { EnginePreferences } from './engine-preference'
import { ProjectsService } from '../projects'

const tempDir = useTempDirs()
const saved = process.env.MODELBENCH_ENGINE

afterEach(() => {
  if (saved === undefined) delete process.env.MODELBENCH_ENGINE
  else process.env.MODELBENCH_ENGINE = saved
})

describe('the engine preference', () => {
  it('is automatic until chosen, is kept in the data directory, and a run’s own engine comes first', () => {
    delete process.env.MODELBENCH_ENGINE
    const dir = tempDir()
    const db = openDatabase(dir)
    const prefs = new EnginePreferences(new ProjectsService(db))
    expect(prefs.get()).toEqual({ choice: 'auto', environment: null, environmentProblem: null })
    expect(prefs.resolve()).toBeUndefined()
    prefs.set('webgpu')
    db.close()
    const again = new EnginePreferences(new ProjectsService(openDatabase(dir)))
    expect(again.get().choice).toBe('webgpu')
    expect(again.resolve()).toBe('webgpu')
    expect(again.resolve('cpu')).toBe('cpu')
    expect(again.set('auto').choice).toBe('auto')
    expect(again.resolve()).toBeUndefined()
  })

  it('is overridden by MODELBENCH_ENGINE, and a value that is no engine is reported, not used', () => {
    const prefs = new EnginePreferences(new ProjectsService(openDatabase(tempDir())))
    prefs.set('wasm')
    process.env.MODELBENCH_ENGINE = 'cpu'
    expect(prefs.get()).toMatchObject({ choice: 'wasm', environment: 'cpu' })
    expect(prefs.resolve()).toBe('cpu')
    process.env.MODELBENCH_ENGINE = 'gpu'
    expect(prefs.get()).toMatchObject({
      environment: null,
      environmentProblem:
        'MODELBENCH_ENGINE=gpu is not an engine (node-gpu, node, webgpu, wasm, cpu or auto); it was ignored',
    })
    expect(prefs.resolve()).toBe('wasm')
    expect(engineFromEnvironment({ MODELBENCH_ENGINE: ' auto ' })).toEqual({})
  })
})
