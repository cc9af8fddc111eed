/**
 * Transfer-learning benchmark: a pretrained MobileNetV2 backbone (frozen, features cached) plus a dropout
 * and a dense layer, against a model trained from scratch given the same wall-clock time, on two data sets:
 * a generated two-class folder set of 150×150 photo-like images (train/ and test/, 300 + 60 per class,
 * tests/fixtures/photo-like.ts) with the Small CNN, and 2,000 digits of the `mnist` package with the Tiny CNN.
 * Everything runs through the app's own path (import, runs.start, the trainer process). The scratch model
 * gets as many epochs as fit in the time the pretrained run took from Start to a finished model, measured
 * from its first epoch. Feature extraction throughput is measured side by side with PyTorch (Debian's
 * python3-torch + python3-torchvision MobileNetV2, 2 threads, BLAS 1 thread, random weights: timing only),
 * interleaved, median of 3 rounds.
 * Run: npm run bench:transfer   (BENCH_ROUNDS=3; BENCH_EPOCHS=20 for the pretrained head)
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writePhotoLikeDataset } from '../tests/fixtures/photo-like'
import type { ImportInfo, Project, Result } from '../src/shared/contract'
import type { ModelSpec } from '../src/shared/model/types'
import type { RunSummary } from '../src/shared/training'
import { cutOf, loadBackbone } from '../src/main/core/backbones/backbone'
import { onnxFeatureComputer } from '../src/main/core/backbones/feature-cache'
import { createCore, type Core } from '../src/main/core/core'
import { writeDigitsFolder } from '../src/main/core/datasets/sample-data'
import { selectEngine } from '../src/main/core/training/engine'

const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const headEpochs = Number(process.env.BENCH_EPOCHS ?? 20)

function value<T>(r: Result<unknown>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.value as T
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const dense = (units: number, activation: string): ModelSpec['layers'][number] => ({
  type: 'Dense',
  config: { units, activation } as never,
})
const pretrained = (classes: number): ModelSpec => ({
  inputShape: [224, 224, 3],
  layers: [
    { type: 'Pretrained', config: { backbone: 'mobilenetV2', trainableBlocks: 0 } },
    { type: 'Dropout', config: { rate: 0.2 } },
    classes === 2 ? dense(1, 'sigmoid') : dense(classes, 'softmax'),
  ],
})
const conv = (filters: number): ModelSpec['layers'][number] => ({
  type: 'Conv2D',
  config: { filters, kernelSize: [3, 3] } as never,
})
const pool: ModelSpec['layers'][number] = { type: 'MaxPooling2D', config: {} as never }
const smallCnn: ModelSpec = {
  inputShape: [150, 150, 3],
  layers: [
    conv(32),
    pool,
    conv(64),
    pool,
    conv(128),
    pool,
    conv(128),
    pool,
    { type: 'Flatten', config: {} },
    { type: 'Dropout', config: { rate: 0.5 } },
    dense(512, 'relu'),
    dense(1, 'sigmoid'),
  ],
}
const tinyCnn: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [conv(16), pool, conv(32), pool, { type: 'Flatten', config: {} }, dense(64, 'relu'), dense(10, 'softmax')],
}

async function project(core: Core, name: string, folder: string): Promise<string> {
  const p = value<Project>(await core.call('projects.create', { name }))
  await core.imports.whenDone(
    value<ImportInfo>(await core.call('datasets.importImages', { projectId: p.id, paths: [folder] })).id,
  )
  return p.id
}

/** One run from Start to a finished model; seconds as the user waits them. */
async function timedRun(
  core: Core,
  projectId: string,
  spec: ModelSpec,
  epochs: number,
  learningRate: number,
): Promise<{ run: RunSummary; seconds: number }> {
  const started = performance.now()
  const run = await core.training.whenDone(
    value<RunSummary>(
      await core.call('runs.start', {
        projectId,
        spec,
        seed: 7,
        hyperparameters: { epochs, batchSize: 32, learningRate },
      }),
    ).id,
  )
  if (run.status !== 'completed') throw new Error(`run ${run.name} ended ${run.status}: ${run.statusReason}`)
  return { run, seconds: (performance.now() - started) / 1000 }
}

/** Seconds of the first epoch of a scratch run (and what preparing it cost), from a run stopped after it. */
async function scratchEpochSeconds(
  core: Core,
  projectId: string,
  spec: ModelSpec,
): Promise<{ prepare: number; epoch: number }> {
  const started = performance.now()
  const run = value<RunSummary>(
    await core.call('runs.start', { projectId, spec, seed: 7, hyperparameters: { epochs: 1000, batchSize: 32 } }),
  )
  const epoch = await new Promise<number>((resolve) => {
    const off = core.events.onAny((name, p) => {
      const e = p as { runId: string; seconds: number }
      if (name === 'training.epochEnded' && e.runId === run.id) {
        off()
        resolve(e.seconds)
      }
    })
  })
  const total = (performance.now() - started) / 1000
  value(await core.call('runs.stop', { runId: run.id }))
  await core.training.whenDone(run.id)
  return { prepare: Math.max(0, total - epoch), epoch }
}

async function compare(
  core: Core,
  label: string,
  projectId: string,
  classes: number,
  scratch: ModelSpec,
  scratchName: string,
): Promise<{ acc: number; scratchAcc: number; seconds: number }> {
  const ours = await timedRun(core, projectId, pretrained(classes), headEpochs, 0.003)
  // A second pretrained run reads the cached features: what a re-run or a sweep trial costs.
  const rerun = await timedRun(core, projectId, pretrained(classes), headEpochs, 0.003)
  const probe = await scratchEpochSeconds(core, projectId, scratch)
  const epochs = Math.max(1, Math.floor((ours.seconds - probe.prepare) / probe.epoch))
  const theirs = await timedRun(core, projectId, scratch, epochs, 0.001)
  console.log(
    `${label}: pretrained MobileNetV2 + dense ${(ours.run.testAccuracy! * 100).toFixed(1)} % test accuracy in ${ours.seconds.toFixed(1)} s from Start (${headEpochs} epochs; a re-run on the cached features ${rerun.seconds.toFixed(1)} s)` +
      ` · ${scratchName} from scratch ${(theirs.run.testAccuracy! * 100).toFixed(1)} % in ${theirs.seconds.toFixed(1)} s (${epochs} epoch${epochs === 1 ? '' : 's'} of ${probe.epoch.toFixed(1)} s fit the same budget)`,
  )
  return { acc: ours.run.testAccuracy! * 100, scratchAcc: theirs.run.testAccuracy! * 100, seconds: ours.seconds }
}

async function featureThroughput(): Promise<{ ours: number; torch: number; torchVersion: string }> {
  await selectEngine('wasm')
  const backbone = await loadBackbone('mobilenetV2')
  const computer = await onnxFeatureComputer(backbone, cutOf(backbone, 0))
  const batch = 16
  const batches = 8
  const x = Float32Array.from({ length: batch * 224 * 224 * 3 }, (_, i) => ((i * 2654435761) % 255) / 255)
  await computer.run(x, batch)
  const ours: number[] = []
  const torch: number[] = []
  let torchVersion = 'not run'
  for (let r = 0; r < rounds; r++) {
    const start = performance.now()
    for (let b = 0; b < batches; b++) await computer.run(x, batch)
    ours.push((batch * batches) / ((performance.now() - start) / 1000))
    const py = spawnSync(
      '/usr/bin/python3',
      [join(import.meta.dirname, 'torch_mobilenet.py'), String(batch), String(batches)],
      { env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '2' }, encoding: 'utf8' },
    )
    if (py.status !== 0)
      throw new Error(`PyTorch peer failed (apt-get install python3-torch python3-torchvision): ${py.stderr}`)
    const out = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as {
      imagesPerSecond: number
      torch: string
      torchvision: string
    }
    torch.push(out.imagesPerSecond)
    torchVersion = `torch ${out.torch}, torchvision ${out.torchvision}`
  }
  await computer.close()
  console.log(
    `features: onnxruntime ${ours.map((v) => v.toFixed(1)).join(' / ')} img/s · PyTorch (${torchVersion}, 2 threads) ${torch.map((v) => v.toFixed(1)).join(' / ')} img/s`,
  )
  return { ours: median(ours), torch: median(torch), torchVersion }
}

const work = mkdtempSync(join(tmpdir(), 'modelbench-transfer-'))
try {
  const core = createCore({ dataDir: join(work, 'data'), shell: 'server', version: 'bench' })
  const photos = join(work, 'photos')
  const t = performance.now()
  await writePhotoLikeDataset(photos, { train: 300, test: 60, seed: 1 })
  const digits = join(work, 'digits')
  await writeDigitsFolder(digits, 200)
  console.log(
    `data: ${photos} (2 classes × 300 train + 60 test, 150×150) and ${digits} (10 × 200 digits) written in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  )
  const photo = await compare(core, 'photo-like', await project(core, 'Photos', photos), 2, smallCnn, 'Small CNN')
  await compare(core, 'digits', await project(core, 'Digits', digits), 10, tinyCnn, 'Tiny CNN')
  const f = await featureThroughput()
  const ratio = f.ours / f.torch
  console.log(
    `transfer: acc ${photo.acc.toFixed(1)} % vs scratch ${photo.scratchAcc.toFixed(1)} %, features ${f.ours.toFixed(1)} img/s vs pytorch ${f.torch.toFixed(1)} img/s (ratio ${ratio.toFixed(2)}), start-to-model ${photo.seconds.toFixed(1)} s`,
  )
  await core.close()
} finally {
  if (existsSync(work)) rmSync(work, { recursive: true, force: true })
}
process.exit(0)
