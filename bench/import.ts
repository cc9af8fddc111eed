/**
 * Import benchmark: imports 5,000 generated images (64×64, half PNG, half JPEG, 10 class folders) through
 * the real import (read, hash, decode, thumbnail, rows) and prints images/s and the peak RSS; then fills a
 * dataset to 50,000 samples and times the query the labeler's grid runs for a page (first, middle, last;
 * all and per class). Goals: ≥ 1,000 images/s on a 2-core machine; < 100 ms per grid page.
 * Run: npm run bench:import
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { createCore } from '../src/main/core/core'
import { mapConcurrent } from '../src/main/core/datasets/map-concurrent'
import { openDatabase } from '../src/main/core/store/database'
import type { DatasetSummary, ImportInfo, Project, Result } from '../src/shared/contract'

const images = Number(process.env.BENCH_IMAGES ?? 5000)
const gridSamples = 50_000
const pageSize = 200

function value<T>(r: Result<unknown>): T {
  if (!r.ok) throw new Error(r.error.message)
  return r.value as T
}

async function generate(dir: string): Promise<void> {
  const jobs = Array.from({ length: images }, (_, i) => i)
  await mapConcurrent(jobs, 4, async (i) => {
    const cls = `class-${i % 10}`
    const px = Buffer.alloc(64 * 64 * 3)
    for (let p = 0; p < px.length; p++) px[p] = (p * ((i % 13) + 1) + i * 31 + (i >> 8) * (p >> 6)) % 256
    px.writeUInt32BE(i, 0)
    const img = sharp(px, { raw: { width: 64, height: 64, channels: 3 } })
    const data = i % 2 ? await img.jpeg({ quality: 85 }).toBuffer() : await img.png().toBuffer()
    mkdirSync(join(dir, cls), { recursive: true })
    writeFileSync(join(dir, cls, `${i}.${i % 2 ? 'jpg' : 'png'}`), data)
  })
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'modelbench-bench-import-'))
  try {
    const source = join(root, 'source')
    process.stdout.write(`generating ${images} images… `)
    await generate(source)
    console.log('done')

    const core = createCore({ dataDir: join(root, 'data'), shell: 'server', version: 'bench' })
    const project = value<Project>(await core.call('projects.create', { name: 'bench' }))
    const rssBefore = process.memoryUsage().rss
    const t0 = process.hrtime.bigint()
    const started = value<ImportInfo>(
      await core.call('datasets.importImages', { projectId: project.id, paths: [source] }),
    )
    const done = await core.imports.whenDone(started.id)
    const seconds = ms(t0) / 1000
    const peakRss = process.resourceUsage().maxRSS * 1024
    if (done.imported !== images) throw new Error(`imported ${done.imported} of ${images}: ${JSON.stringify(done)}`)
    const rate = images / seconds
    console.log(
      `import: ${images} images in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} images/s on ${cpus().length} cores (goal ≥ 1000)`,
    )
    console.log(
      `import: peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (RSS before the import ${(rssBefore / 2 ** 20).toFixed(0)} MiB)`,
    )

    // Grid: pad the dataset to 50,000 samples with rows (the query does not read image files).
    const dataset = value<DatasetSummary>(await core.call('datasets.get', { projectId: project.id }))!
    await core.close()
    const db = openDatabase(join(root, 'data'))
    const classIds = (db.prepare('SELECT id FROM classes ORDER BY position').all() as Array<{ id: number }>).map(
      (r) => r.id,
    )
    const insert = db.prepare(
      `INSERT INTO samples (dataset_id, content_hash, original_name, byte_size, width, height, format, class_id, import_id, created_at)
       VALUES (?, ?, ?, 1000, 64, 64, 'png', ?, ?, ?)`,
    )
    db.transaction(() => {
      for (let i = images; i < gridSamples; i++) {
        insert.run(
          dataset.id,
          i.toString(16).padStart(64, '0'),
          `pad/${i}.png`,
          i % 7 === 0 ? null : classIds[i % classIds.length]!,
          started.id,
          Date.now(),
        )
      }
    })()
    db.close()
    const grid = createCore({ dataDir: join(root, 'data'), shell: 'server', version: 'bench' })
    const times: Array<[string, number]> = []
    for (const [label, filter, offset] of [
      ['all, first page', { kind: 'all' }, 0],
      ['all, middle page', { kind: 'all' }, 25_000],
      ['all, last page', { kind: 'all' }, gridSamples - pageSize],
      ['one class, middle page', { kind: 'class', classId: classIds[3] }, 2_000],
      ['unlabeled, first page', { kind: 'unlabeled' }, 0],
    ] as const) {
      const runs: number[] = []
      for (let r = 0; r < 5; r++) {
        const t = process.hrtime.bigint()
        const page = value<{ items: unknown[]; total: number }>(
          await grid.call('samples.list', { datasetId: dataset.id, filter, offset, limit: pageSize }),
        )
        runs.push(ms(t))
        if (page.items.length === 0) throw new Error(`empty page for ${label}`)
      }
      runs.sort((a, b) => a - b)
      times.push([label, runs[2]!])
    }
    const t = process.hrtime.bigint()
    value(await grid.call('datasets.get', { projectId: project.id }))
    const summaryMs = ms(t)
    for (const [label, median] of times)
      console.log(`grid: ${label}: ${median.toFixed(1)} ms (median of 5, ${pageSize} samples)`)
    console.log(
      `grid: dataset summary (counts per class and split) on ${gridSamples} samples: ${summaryMs.toFixed(1)} ms`,
    )
    const worst = Math.max(...times.map(([, v]) => v))
    console.log(
      `import: ${rate.toFixed(0)} images/s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB; grid page ≤ ${worst.toFixed(1)} ms on ${gridSamples} samples`,
    )
    await grid.close()
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

await main()
