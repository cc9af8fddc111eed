/**
 * Runs one image import in its own process and prints progress as JSON lines, so a test can kill the
 * process part-way (`node --import tsx import-child.ts <dataDir> <folder> <batchSize>`).
 */
import { createCore } from '../core/core'

const [dataDir, folder, batchSize] = process.argv.slice(2)
const core = createCore({
  dataDir: dataDir!,
  shell: 'server',
  version: 'test',
  import: { batchSize: Number(batchSize) },
})
core.events.on('import.progressed', (payload) => process.stdout.write(`${JSON.stringify(payload)}\n`))
const project = await core.call('projects.create', { name: 'Crash test' })
if (!project.ok) throw new Error(project.error.message)
const started = await core.call('datasets.importImages', {
  projectId: (project.value as { id: string }).id,
  paths: [folder!],
})
if (!started.ok) throw new Error(started.error.message)
await core.imports.whenDone((started.value as { id: string }).id)
process.stdout.write('done\n')
