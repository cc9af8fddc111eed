/**
 * Where ModelBench keeps its data when no directory is given: the same folder Electron's
 * `app.getPath('userData')` uses for an app named ModelBench, so the desktop app and the headless
 * server share one set of projects.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'ModelBench')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'ModelBench')
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'ModelBench')
}
