/**
 * Fault suite on real processes and a real data directory (a benchmark that prints figures, not a
 * timed test). Needs `npm run build` (it starts the built `modelbench serve`).
 *  - kill -9 of the server at random moments during a 3,000-image import (20 times), each restart
 *    checked (integrity, no committed sample lost) and the import re-run until complete;
 *  - kill -9 of the server during training (10 times), each run resumed to the end: no metric twice;
 *  - kill -9 of the trainer alone: the run is interrupted, then resumes;
 *  - a full disk during an import (a small tmpfs; skipped with a line where mounting is not allowed);
 *  - a second server on the same directory; a corrupted copy of the database.
 * Last line: faults: K kills, R rows lost, D duplicate metrics, integrity ok I/K, disk-full ok, lock ok, corrupt detected
 * Run: npm run build && npm run bench:faults
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { ImportInfo, Project } from '../src/shared/contract'
import type { RunSummary } from '../src/shared/training'
import { writeDigitsFolder } from '../src/main/core/datasets/sample-data'

const root = join(import.meta.dirname, '..')
const importKills = Number(process.env.FAULTS_IMPORT_KILLS ?? 20)
const trainKills = Number(process.env.FAULTS_TRAIN_KILLS ?? 10)

interface Server {
  child: ChildProcess
  url: string
  token: string
  output: () => string
}

function startServer(dataDir: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'modelbench.mjs'), 'serve', '--port', '0', '--data-dir', dataDir, '--no-sample'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString()
      const m = /Open ModelBench at: (http:\/\/\S+\/)\?token=([0-9a-f]+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve({ child, url: m[1]!, token: m[2]!, output: () => output })
      }
    })
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(Object.assign(new Error(`server exited with ${code}:\n${output}`), { output, code }))
    })
  })
}

async function call<T>(s: Server, method: string, input: unknown): Promise<T> {
  const res = await fetch(`${s.url}api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-modelbench-token': s.token },
    body: JSON.stringify(input),
  })
  const body = (await res.json()) as { ok: boolean; value: T; error?: { message: string } }
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`)
  return body.value
}

function kill9(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.child.removeAllListeners('exit')
    s.child.once('exit', () => resolve())
    s.child.kill('SIGKILL')
  })
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function inspect(dataDir: string): { integrity: boolean; samples: number; duplicateMetrics: number } {
  const db = new Database(join(dataDir, 'modelbench.sqlite'), { readonly: true })
  try {
    const integrity = db.pragma('integrity_check', { simple: true }) === 'ok'
    const samples = (db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n
    const { dup } = db
      .prepare(
        'SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT run_id, key, step FROM metrics)) AS dup FROM metrics',
      )
      .get() as { dup: number }
    return { integrity, samples, duplicateMetrics: dup }
  } finally {
    db.close()
  }
}

async function waitFor<T>(fn: () => Promise<T | null>, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    const v = await fn()
    if (v !== null) return v
    await sleep(100)
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modelbench-bench-faults-'))
  const dataDir = join(dir, 'data')
  const digits = join(dir, 'digits')
  await writeDigitsFolder(digits, 300)
  let kills = 0
  let intact = 0
  let lost = 0
  const started = Date.now()
  try {
    // ---- kills during an import ----
    let server = await startServer(dataDir)
    const project = await call<Project>(server, 'projects.create', { name: 'Faults' })
    for (let i = 0; i < importKills; i++) {
      const imp = await call<ImportInfo>(server, 'datasets.importImages', { projectId: project.id, paths: [digits] })
      const killAt = Date.now() + 200 + Math.random() * 2500
      let committed = 0
      while (Date.now() < killAt) {
        const now = await call<ImportInfo>(server, 'imports.get', { importId: imp.id })
        if (now.status !== 'running') break
        await sleep(50)
      }
      // What the import says it committed just before the kill: every one of those must survive.
      const last = inspect(dataDir)
      committed = last.samples
      await kill9(server)
      kills++
      const after = inspect(dataDir)
      if (after.integrity) intact++
      if (after.samples < committed) lost += committed - after.samples
      server = await startServer(dataDir)
      const info = await call<ImportInfo>(server, 'imports.get', { importId: imp.id })
      process.stdout.write(
        `import kill ${i + 1}: ${after.samples} samples kept (${committed} seen before), import ${info.status}\n`,
      )
    }
    const finish = await call<ImportInfo>(server, 'datasets.importImages', { projectId: project.id, paths: [digits] })
    await waitFor(
      async () =>
        (await call<ImportInfo>(server, 'imports.get', { importId: finish.id })).status === 'running' ? null : true,
      120_000,
      'the last import',
    )
    const complete = inspect(dataDir).samples
    console.log(`import: ${complete} of 3000 samples after ${importKills} kills and a last re-run`)
    if (complete !== 3000) lost += 3000 - complete

    // ---- kills during training ----
    await call(server, 'datasets.split', {
      datasetId: (await call<{ id: string }>(server, 'datasets.get', { projectId: project.id })).id,
      train: 0.8,
      validation: 0.1,
      test: 0.1,
      seed: 1,
    })
    const spec = {
      inputShape: [28, 28, 1],
      layers: [
        { type: 'Conv2D', config: { filters: 4, kernelSize: 3 } },
        { type: 'MaxPooling2D', config: {} },
        { type: 'Flatten', config: {} },
        { type: 'Dense', config: { units: 10, activation: 'softmax' } },
      ],
    }
    for (let i = 0; i < trainKills; i++) {
      const run = await call<RunSummary>(server, 'runs.start', {
        projectId: project.id,
        spec,
        seed: i,
        hyperparameters: { epochs: 3, batchSize: 32, learningRate: 0.005 },
        engine: 'wasm',
      })
      await waitFor(
        async () => ((await call<RunSummary>(server, 'runs.get', { runId: run.id })).epochsDone >= 1 ? true : null),
        120_000,
        'an epoch',
      )
      await sleep(Math.random() * 1500)
      await kill9(server)
      kills++
      if (inspect(dataDir).integrity) intact++
      server = await startServer(dataDir)
      const status = (await call<RunSummary>(server, 'runs.get', { runId: run.id })).status
      if (status === 'interrupted') await call(server, 'runs.resume', { runId: run.id })
      const done = await waitFor(
        async () => {
          const r = await call<RunSummary>(server, 'runs.get', { runId: run.id })
          return ['completed', 'failed', 'stopped'].includes(r.status) ? r : null
        },
        180_000,
        'the resumed run',
      )
      process.stdout.write(
        `train kill ${i + 1}: was ${status}, resumed to ${done.status} after ${done.epochsDone} epochs\n`,
      )
    }

    // ---- the trainer alone ----
    const run = await call<RunSummary>(server, 'runs.start', {
      projectId: project.id,
      spec,
      seed: 99,
      hyperparameters: { epochs: 2, batchSize: 32, learningRate: 0.005 },
      engine: 'wasm',
    })
    await waitFor(
      async () => ((await call<RunSummary>(server, 'runs.get', { runId: run.id })).status === 'running' ? true : null),
      60_000,
      'a running trainer',
    )
    const trainer = execFileSync('ps', ['-o', 'pid=', '--ppid', String(server.child.pid)])
      .toString()
      .trim()
      .split(/\s+/)
      .map(Number)
      .find((p) => p > 0)
    if (trainer) process.kill(trainer, 'SIGKILL')
    const interrupted = await waitFor(
      async () => {
        const r = await call<RunSummary>(server, 'runs.get', { runId: run.id })
        return r.status === 'running' || r.status === 'queued' ? null : r
      },
      60_000,
      'the killed trainer',
    )
    await call(server, 'runs.resume', { runId: run.id })
    const resumed = await waitFor(
      async () =>
        (await call<RunSummary>(server, 'runs.get', { runId: run.id })).status === 'completed' ? true : null,
      120_000,
      'the resumed run',
    )
    console.log(
      `trainer killed alone: run ${interrupted.status} (${interrupted.statusReason}), resumed: ${resumed ? 'completed' : 'no'}`,
    )

    // ---- two servers on one directory ----
    let lockOk = false
    try {
      const second = await startServer(dataDir)
      await kill9(second)
    } catch (err) {
      lockOk = /is in use by the ModelBench server/.test((err as { output?: string }).output ?? '')
    }
    console.log(`second server on the same directory: ${lockOk ? 'refused, naming the owner' : 'NOT refused'}`)
    const duplicates = inspect(dataDir).duplicateMetrics
    await kill9(server)

    // ---- a corrupted copy ----
    const copy = join(dir, 'corrupt')
    mkdirSync(copy)
    copyFileSync(join(dataDir, 'modelbench.sqlite'), join(copy, 'modelbench.sqlite'))
    const fd = openSync(join(copy, 'modelbench.sqlite'), 'r+')
    writeSync(fd, Buffer.alloc(4096 * 4, 0xa5), 0, 4096 * 4, 4096 * 3)
    closeSync(fd)
    let corrupt = false
    try {
      await kill9(await startServer(copy))
    } catch (err) {
      corrupt = /is damaged/.test((err as { output?: string }).output ?? '')
    }
    console.log(`corrupted copy: ${corrupt ? 'detected, nothing written' : 'NOT detected'}`)

    // ---- a full disk ----
    let diskFull = 'skipped'
    const disk = join(dir, 'disk')
    mkdirSync(disk)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', disk], { stdio: 'ignore' })
    } catch {
      console.log('disk full: skipped, this machine does not allow mounting a small file system')
    }
    if (
      diskFull === 'skipped' &&
      existsSync(disk) &&
      execFileSync('findmnt', ['-n', disk]).toString().includes('tmpfs')
    ) {
      const small = await startServer(join(disk, 'data'))
      const p = await call<Project>(small, 'projects.create', { name: 'Full' })
      const imp = await call<ImportInfo>(small, 'datasets.importImages', { projectId: p.id, paths: [digits] })
      const ended = await waitFor(
        async () => {
          const r = await call<ImportInfo>(small, 'imports.get', { importId: imp.id })
          return r.status === 'running' ? null : r
        },
        60_000,
        'the disk-full import',
      )
      const alive = (await call<Project[]>(small, 'projects.list', {})).length === 1
      diskFull =
        ended.status === 'failed' && /The disk is full/.test(ended.error ?? '') && alive
          ? 'ok'
          : `NOT ok (${ended.status}: ${ended.error})`
      console.log(
        `disk full: import ${ended.status} — ${ended.error}; ${ended.imported} imported kept; server alive: ${alive}`,
      )
      // Training on a disk that fills up mid-run: the run must wait, resumable, and finish once there is room.
      execFileSync('mount', ['-o', 'remount,size=64m', disk])
      const rest = await call<ImportInfo>(small, 'datasets.importImages', { projectId: p.id, paths: [digits] })
      await waitFor(
        async () =>
          (await call<ImportInfo>(small, 'imports.get', { importId: rest.id })).status === 'running' ? null : true,
        120_000,
        'the import after making room',
      )
      await call(small, 'datasets.split', {
        datasetId: (await call<{ id: string }>(small, 'datasets.get', { projectId: p.id })).id,
        train: 0.8,
        validation: 0.1,
        test: 0.1,
        seed: 1,
      })
      const fullRun = await call<RunSummary>(small, 'runs.start', {
        projectId: p.id,
        spec,
        seed: 5,
        hyperparameters: { epochs: 4, batchSize: 32, learningRate: 0.005 },
        engine: 'wasm',
      })
      await waitFor(
        async () => ((await call<RunSummary>(small, 'runs.get', { runId: fullRun.id })).epochsDone >= 1 ? true : null),
        120_000,
        'an epoch on the small disk',
      )
      const filler = join(disk, 'filler')
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' })
      } catch {
        // dd stops with an error when the disk is full: that is the point.
      }
      const stuck = await waitFor(
        async () => {
          const r = await call<RunSummary>(small, 'runs.get', { runId: fullRun.id })
          return r.status === 'running' || r.status === 'queued' ? null : r
        },
        120_000,
        'the run on a full disk',
      )
      rmSync(filler, { force: true })
      if (stuck.status === 'interrupted') await call(small, 'runs.resume', { runId: fullRun.id })
      const after = await waitFor(
        async () => {
          const r = await call<RunSummary>(small, 'runs.get', { runId: fullRun.id })
          return ['completed', 'failed', 'stopped', 'interrupted'].includes(r.status) && r.status !== stuck.status
            ? r
            : r.status === 'completed'
              ? r
              : null
        },
        180_000,
        'the resumed run',
      )
      const trainingOk =
        stuck.status === 'interrupted' &&
        /The disk is full/.test(stuck.statusReason ?? '') &&
        after.status === 'completed'
      console.log(
        `disk full while training: run ${stuck.status} — ${stuck.statusReason}; after freeing space and Resume: ${after.status} (${after.epochsDone} epochs)`,
      )
      if (!trainingOk) diskFull = `NOT ok while training (${stuck.status}: ${stuck.statusReason})`
      await kill9(small)
      execFileSync('umount', ['-l', disk])
    }
    console.log(`(${Math.round((Date.now() - started) / 1000)} s)`)
    console.log(
      `faults: ${kills} kills, ${lost} rows lost, ${duplicates} duplicate metrics, integrity ok ${intact}/${kills}, disk-full ${diskFull}, lock ${lockOk ? 'ok' : 'NOT ok'}, corrupt ${corrupt ? 'detected' : 'NOT detected'}`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
