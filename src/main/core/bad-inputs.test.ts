/**
 * The whole bad-input corpus (tests/fixtures/bad-inputs.ts) through the real core and server: each bad
 * table, image folder, model and request ends in a correct import or a clear message, asserted case by
 * case; the file prints how many cases there are and how many got their clear outcome.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { request } from 'node:http'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  badInputs,
  folderTotals,
  imageCases,
  modelCases,
  requestCases,
  tableInputCases,
  writeBadImageFolders,
  type CaseProject,
  type ImageFolder,
  type RequestContext,
} from '../../../tests/fixtures/bad-inputs'
import type { DatasetSummary, ImportInfo, ImportIssue, Project, Result, TablePreview } from '../../shared/contract'
import type { RunDetail, RunSummary } from '../../shared/training'
import { startServer, type RunningServer } from '../server/http-server'
import { useTempDirs } from '../test-support/temp-dir'
import { value } from '../test-support/result'
import { createCore, type Core } from './core'
import { writeDigitsFolder } from './datasets/sample-data'

const tempDir = useTempDirs()

let dir: string
let core: Core
let server: RunningServer
const imports = {} as Record<ImageFolder, { info: ImportInfo; report: ImportIssue[]; root: string }>
const projects = {} as Record<CaseProject, string>
let ctx: RequestContext
let clear = 0

async function imported(call: Promise<Result<unknown>>): Promise<ImportInfo> {
  return core.imports.whenDone(value<ImportInfo>(await call).id)
}

beforeAll(async () => {
  // Kept for the whole file (tempDir's folders go after each test).
  dir = mkdtempSync(join(tmpdir(), 'modelbench-bad-inputs-'))
  core = createCore({ dataDir: join(dir, 'data'), shell: 'server', version: 't' })
  const staticDir = join(dir, 'static')
  mkdirSync(staticDir)
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>app</title>')
  server = await startServer({ core, port: 0, staticDir })

  const folders = await writeBadImageFolders(join(dir, 'images'))
  for (const folder of Object.keys(folders) as ImageFolder[]) {
    const project = value<Project>(await core.call('projects.create', { name: folder }))
    const info = await imported(core.call('datasets.importImages', { projectId: project.id, paths: [folders[folder]] }))
    const report = value<{ items: ImportIssue[] }>(
      await core.call('imports.listIssues', { importId: info.id, limit: 1000 }),
    ).items
    imports[folder] = { info, report, root: folders[folder] }
  }

  const digits = value<Project>(await core.call('projects.create', { name: 'Digits' }))
  await writeDigitsFolder(join(dir, 'digits'), 3)
  await imported(core.call('datasets.importImages', { projectId: digits.id, paths: [join(dir, 'digits')] }))
  projects.digits = digits.id

  const csv = join(dir, 'prices.csv')
  const colors = ['red', 'green', 'blue']
  writeFileSync(
    csv,
    [
      'size,color,price',
      ...Array.from({ length: 60 }, (_, i) => `${(i % 17) + 1},${colors[i % 3]},${((i % 17) * 2 + 1).toFixed(1)}`),
    ].join('\n'),
  )
  const price = value<Project>(await core.call('projects.create', { name: 'Prices' }))
  await imported(
    core.call('datasets.importTable', { projectId: price.id, path: csv, targetColumn: 'price', task: 'regression' }),
  )
  projects.price = price.id
  const run = value<RunSummary>(
    await core.call('runs.start', {
      projectId: price.id,
      spec: {
        inputShape: [4],
        layers: [
          { type: 'Dense', config: { units: 4 } },
          { type: 'Dense', config: { units: 1, activation: 'linear' } },
        ],
      },
      hyperparameters: { epochs: 1 },
      engine: 'wasm',
    }),
  )
  await core.training.whenDone(run.id)
  const appPath = (await fetch(server.openUrl, { redirect: 'manual' })).headers.get('location')!.split('?')[0]!
  ctx = {
    appPath,
    tableDatasetId: value<DatasetSummary>(await core.call('datasets.get', { projectId: price.id })).id,
    tableRunId: run.id,
  }
}, 180_000)

afterAll(async () => {
  console.log(`bad inputs: ${badInputs.length} cases, ${clear} clear`)
  await server?.close()
  await core?.close()
  rmSync(dir, { recursive: true, force: true })
})

function send(
  path: string,
  contentType: string | undefined,
  body: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      host: `127.0.0.1:${server.port}`,
      'x-modelbench-token': server.token,
      ...extra,
    }
    if (contentType) headers['content-type'] = contentType
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method: body || contentType ? 'POST' : 'GET', headers },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('bad inputs: a correct import or a clear message, nothing guessed', () => {
  it.each(tableInputCases.map((c) => [c.name, c] as const))('table: %s', async (_name, { table }) => {
    const path = join(tempDir(), table.file)
    writeFileSync(path, table.data)
    const result = await core.call('datasets.previewTable', { path })
    if (table.refused) {
      expect(result).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining(table.refused) },
      })
      expect(!result.ok && result.error.message).toContain(table.file)
    } else {
      const preview = value<TablePreview>(result)
      for (const [name, type] of Object.entries(table.types ?? {}))
        expect(
          preview.columns.find((c) => c.name === name),
          name,
        ).toMatchObject({ type })
      for (const w of table.warnings ?? [])
        expect(
          preview.warnings.some((x) => x.includes(w)),
          `“${w}” in ${JSON.stringify(preview.warnings)}`,
        ).toBe(true)
      for (const col of preview.columns) expect(col.reason, col.name).toBeTruthy()
    }
    clear++
  })

  it.each(imageCases.map((c) => [c.name, c] as const))('image: %s', (_name, c) => {
    const { report, root } = imports[c.folder]
    const lines = report.filter((i) => relative(root, i.path) === c.path)
    expect(lines, `report for ${c.path}: ${JSON.stringify(report.map((i) => relative(root, i.path)))}`).toHaveLength(1)
    expect(lines[0]).toMatchObject({ kind: c.kind, reason: expect.stringMatching(c.reason) })
    clear++
  })

  it.each(Object.keys(folderTotals).map((f) => [f, f as ImageFolder] as const))(
    'image: the %s import counts what it passed over',
    (_name, folder) => {
      const { info, report } = imports[folder]
      expect(info).toMatchObject({ status: 'completed', ...folderTotals[folder] })
      // Every count has its lines in the report, and nothing is counted twice.
      expect(report.filter((i) => i.kind === 'warning')).toHaveLength(
        info.unlabeledLoose + info.ignored.hiddenFiles + info.ignored.emptyFolders,
      )
      expect(report.filter((i) => i.kind === 'skipped')).toHaveLength(info.skipped)
    },
  )

  it.each(modelCases.map((c) => [c.name, c] as const))(
    'model: %s',
    async (_name, c) => {
      const started = await core.call('runs.start', {
        projectId: projects[c.project],
        spec: c.spec,
        engine: 'wasm',
        ...(c.hyperparameters ? { hyperparameters: c.hyperparameters } : {}),
      })
      if (c.refused) {
        expect(started).toMatchObject({
          ok: false,
          error: {
            code: 'INVALID_ARGUMENT',
            field: c.refused.field,
            message: expect.stringMatching(c.refused.message),
          },
        })
      } else {
        const run = await core.training.whenDone(value<RunSummary>(started).id)
        expect(run.status, run.statusReason ?? '').toBe('completed')
        const detail = value<RunDetail>(await core.call('runs.get', { runId: run.id }))
        expect(
          detail.engine?.skipped.some((s) => c.note!.test(s)),
          JSON.stringify(detail.engine?.skipped),
        ).toBe(true)
      }
      clear++
    },
    60_000,
  )

  it.each(requestCases.map((c) => [c.name, c] as const))('request: %s', async (_name, c) => {
    const { path, contentType, body, headers } = c.send(ctx)
    const res = await send(path, contentType, body, headers)
    expect(res.status, res.body).toBe(c.status)
    const error = (JSON.parse(res.body) as { error: { message: string; field?: string } }).error
    expect(error.message).toMatch(c.message)
    if (c.field) expect(error.field).toBe(c.field)
    clear++
  })
})
