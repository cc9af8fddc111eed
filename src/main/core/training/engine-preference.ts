/**
 * Which engine trains and predicts when a run does not name one: the Engine page's setting (per data
 * directory), overridden by MODELBENCH_ENGINE, else the fastest that starts. Forcing an engine is the only
 * way to train on a software WebGPU adapter.
 */
import type { EnginePreference } from '../../../shared/contract'
import type { EngineChoice } from '../../../shared/engines'
import { engineFromEnvironment } from './engine'

const key = 'engine.preference'

/** Where the choice is kept: the data directory's settings (ProjectsService owns them). */
export interface SettingsStore {
  setting(key: string): string | null
  setSetting(key: string, value: string | null): void
}

export class EnginePreferences {
  constructor(private readonly settings: SettingsStore) {}

  get(): EnginePreference {
    const env = engineFromEnvironment()
    return {
      choice: (this.settings.setting(key) as EngineChoice | null) ?? 'auto',
      environment: env.engine ?? null,
      environmentProblem: env.problem ?? null,
    }
  }

  set(choice: EngineChoice | 'auto'): EnginePreference {
    this.settings.setSetting(key, choice === 'auto' ? null : choice)
    return this.get()
  }

  /** The engine to ask for: the one given, else MODELBENCH_ENGINE, else the setting; undefined = automatic. */
  resolve(given?: EngineChoice): EngineChoice | undefined {
    if (given) return given
    const p = this.get()
    return p.environment ?? (p.choice === 'auto' ? undefined : p.choice)
  }
}
