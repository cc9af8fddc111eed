import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { solidImage } from '../../../../tests/fixtures/image-corpus'
import type { ImportInfo, ImportIssue, Project } from '../../../shared/contract'
import { useTempDirs } from '../../test-support/temp-dir'
import { value } from '../../test-support/result'
import { createCore, type Core } from '../core'
import { databaseFileName } from '../store/database'

const tempDir = useTempDirs()

async function setup(): Promise<{ core: Core; project: Project; dir: string; dataDir: string }> {
  const dir = tempDir()
  const dataDir = join(dir, 'data')
  const core = createCore({ dataDir, shell: 'server', version: 't' })
  const project = value<Project>(await core.call('projects.create', { name: 'Images' }))
  return { core, project, dir, dataDir }
}

async function upload(core: Core, id: string, name: string, data: Buffer): Promise<string> {
  return (await core.uploads.receive(id, name, Readable.from([data]))).path
}

describe('paths from requests', () => {
  it('refuses an import path that climbs out of an upload, before any file is touched (the data directory stays)', async () => {
    const { core, project, dataDir } = await setup()
    await upload(core, 'upload-one-1', 'a.png', await solidImage('png', 1))
    for (const path of [
      join(dataDir, 'uploads') + '/../../anything',
      `${dataDir}/uploads/upload-one-1/../../..`,
      'relative/folder',
      `${dataDir}/x\0y`,
    ]) {
      const result = await core.call('datasets.importImages', { projectId: project.id, paths: [path] })
      expect(result.ok, path).toBe(false)
      if (!result.ok) expect(result.error.field, path).toBe('paths.0')
    }
    expect(existsSync(join(dataDir, databaseFileName))).toBe(true)
    expect(readdirSync(join(dataDir, 'uploads'))).toEqual(['upload-one-1'])
    await core.close()
  })

  it('refuses an import from the data directory itself, also through a symbolic link', async () => {
    const { core, project, dir, dataDir } = await setup()
    const link = join(dir, 'innocent-looking')
    symlinkSync(join(dataDir, 'uploads', '..'), link)
    mkdirSync(join(dataDir, 'uploads'), { recursive: true })
    for (const path of [dataDir, join(dataDir, 'blobs'), link, join(link, 'uploads')]) {
      const result = await core.call('datasets.importImages', { projectId: project.id, paths: [path] })
      expect(result.ok, path).toBe(false)
      if (!result.ok) expect(result.error.message, path).toMatch(/inside ModelBench's own data folder/)
    }
    expect(existsSync(join(dataDir, databaseFileName))).toBe(true)
    await core.close()
  })

  it('removes only the upload folder that was imported, by its id', async () => {
    const { core, project, dataDir } = await setup()
    const first = await upload(core, 'upload-one-1', 'cats/a.png', await solidImage('png', 1))
    await upload(core, 'upload-two-2', 'b.png', await solidImage('png', 2))
    const started = value<ImportInfo>(
      await core.call('datasets.importImages', { projectId: project.id, paths: [join(first, '..', '..')] }),
    )
    expect((await core.imports.whenDone(started.id)).imported).toBe(1)
    await new Promise((r) => setTimeout(r, 50))
    expect(readdirSync(join(dataDir, 'uploads'))).toEqual(['upload-two-2'])
    await core.close()
  })

  it('removes uploads left by an earlier process when the data directory is opened again', async () => {
    const { core, dataDir } = await setup()
    await upload(core, 'left-behind-1', 'a.png', Buffer.from('x'))
    await core.close()
    const again = createCore({ dataDir, shell: 'server', version: 't' })
    await new Promise((r) => setTimeout(r, 100))
    expect(readdirSync(join(dataDir, 'uploads'))).toEqual([])
    await again.close()
  })

  it('skips a FIFO or other non-regular file among picked files instead of waiting on it, and Cancel ends a job', async () => {
    const { core, project, dir } = await setup()
    const fifo = join(dir, 'pipe.png')
    execFileSync('mkfifo', [fifo])
    const good = join(dir, 'good.png')
    writeFileSync(good, await solidImage('png', 3))
    const started = value<ImportInfo>(
      await core.call('datasets.importImages', { projectId: project.id, paths: [fifo, good, '/dev/zero'] }),
    )
    const done = await core.imports.whenDone(started.id)
    expect(done).toMatchObject({ status: 'completed', imported: 1, skipped: 2 })
    const issues = value<{ items: ImportIssue[] }>(
      await core.call('imports.listIssues', { importId: started.id }),
    ).items
    expect(issues.map((i) => i.reason)).toEqual([
      expect.stringMatching(/not a regular file/),
      expect.stringMatching(/not a regular file/),
    ])
    await core.close()
  })

  it('Cancel ends an import whose work is stuck, and frees the project for the next import', async () => {
    const { core, project, dir } = await setup()
    const stuck = core.imports.startImages(project.id, [dir], { prepare: () => new Promise(() => undefined) })
    const cancelled = await core.imports.cancel(stuck.id)
    expect(cancelled.status).toBe('cancelled')
    const good = join(dir, 'good.png')
    writeFileSync(good, await solidImage('png', 3))
    const next = value<ImportInfo>(await core.call('datasets.importImages', { projectId: project.id, paths: [good] }))
    expect((await core.imports.whenDone(next.id)).imported).toBe(1)
    await core.close()
  })
})
