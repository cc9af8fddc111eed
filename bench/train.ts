/**
 * Training benchmark: the reference small CNN (Conv2D 16 3×3 relu, MaxPool 2, Conv2D 32 3×3 relu,
 * MaxPool 2, Flatten, Dense 64 relu, Dense 10 softmax; Adam 1e-3; batch 32; 5 epochs) on the `mnist`
 * package's 10,000 digits split as BENCHMARKS.md says (per class, in package order, the first 80% to
 * train: 8,000 / 2,000). ModelBench runs through the same loop the trainer process uses, on every engine
 * that loads; PyTorch (Debian's python3-torch, 2 threads, BLAS 1 thread) runs the same model on the same
 * data in the same session. Rounds are interleaved; figures are medians. Samples/s is the median over
 * epochs 2..N of the training steps only.
 * The webgpu column runs on the adapter WebGPU finds: a graphics card, with the full task in every round;
 * else Chromium's SwiftShader (software), on a subset, labelled as a correctness check, not a speed.
 * Run: npm run bench:train   (BENCH_ROUNDS=3 by default; BENCH_EPOCHS=5)
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Split } from '../src/shared/contract'
import { referenceCnn } from '../src/shared/model/reference-cnn'
import type { ModelSpec } from '../src/shared/model/types'
import { hyperparametersSchema } from '../src/shared/training'
import { loadMnistDigits } from '../src/main/core/datasets/sample-data'
import type { CacheMeta } from '../src/main/core/datasets/tensor-cache'
import { selectEngine, type EngineName } from '../src/main/core/training/engine'
import type { FromTrainer } from '../src/main/core/training/protocol'
import { runTraining } from '../src/main/core/training/trainer'
import { adapterLabel } from '../src/shared/engines'
import type { GpuAdapterInfo } from '../src/shared/training'
import { useSwiftShader } from '../src/main/test-support/swiftshader'

const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const epochs = Number(process.env.BENCH_EPOCHS ?? 5)
const seed = 1234

const spec: ModelSpec = referenceCnn
const callerThreads = process.env.MODELBENCH_TRAIN_THREADS

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** Writes the 10,000 digits as a preprocessing cache (the file format the trainer reads) with the reference split. */
function writeData(dir: string): string {
  const digits = loadMnistDigits()
  const pixels: number[] = []
  const meta: CacheMeta = {
    versionId: 'bench',
    versionHash: 'bench',
    shape: { height: 28, width: 28, channels: 1 },
    count: 0,
    sampleIds: [],
    classIndex: [],
    splits: [],
  }
  digits.forEach((all, d) => {
    const n = all.length / 784
    const cut = Math.round(0.8 * n)
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < 784; p++) pixels.push(Math.round(all[i * 784 + p]! * 255))
      meta.sampleIds.push(meta.count++)
      meta.classIndex.push(d)
      meta.splits.push((i < cut ? 'train' : 'test') as Split)
    }
  })
  const base = join(dir, 'mnist')
  writeFileSync(`${base}.u8`, Uint8Array.from(pixels))
  writeFileSync(`${base}.json`, JSON.stringify(meta))
  writeFileSync(
    `${base}.torch.json`,
    JSON.stringify({ count: meta.count, labels: meta.classIndex, splits: meta.splits }),
  )
  return base
}

interface Result {
  rate: number
  accuracy: number | null
  threads: number
}

async function modelbench(
  engine: EngineName,
  base: string,
  dir: string,
  limitTrain?: number,
  threads?: number,
): Promise<Result> {
  const metaPath = `${base}.json`
  let cacheMeta = metaPath
  if (limitTrain) {
    // Speed only: the pure-JS engine would take hours on the full set.
    const { readFileSync } = await import('node:fs')
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as CacheMeta
    // Every k-th training image, so all ten digits are in the subset (the cache is in class order).
    const step = Math.max(1, Math.floor(meta.splits.filter((s) => s === 'train').length / limitTrain))
    let seen = 0
    let kept = 0
    meta.splits = meta.splits.map((s) =>
      s === 'train' && seen++ % step === 0 && kept++ < limitTrain ? 'train' : 'test',
    ) as Split[]
    cacheMeta = join(dir, `limited-${engine}.json`)
    writeFileSync(cacheMeta, JSON.stringify(meta))
  }
  const rates: number[] = []
  let accuracy: number | null = null
  let usedThreads = 1
  // The trainer reads MODELBENCH_TRAIN_THREADS: a forced count for this run, else what the caller set.
  if (threads) process.env.MODELBENCH_TRAIN_THREADS = String(threads)
  else if (callerThreads === undefined) delete process.env.MODELBENCH_TRAIN_THREADS
  else process.env.MODELBENCH_TRAIN_THREADS = callerThreads
  const hp = hyperparametersSchema.parse({
    epochs: limitTrain ? 2 : epochs,
    batchSize: 32,
    learningRate: 0.001,
    validationFraction: 0,
  })
  await runTraining(
    {
      runId: 'bench',
      spec,
      hyperparameters: hp,
      seed,
      task: 'classification',
      classNames: [...'0123456789'],
      data: { kind: 'image', cacheData: `${base}.u8`, cacheMeta },
      checkpointDir: join(dir, `ckpt-${engine}`),
      resume: null,
      engine,
    },
    { paused: false, stopped: false, wait: () => new Promise(() => undefined) },
    (m: FromTrainer) => {
      if (m.type === 'started') usedThreads = m.engine.threads ?? 1
      if (m.type === 'epochEnded') rates.push(m.samplesPerSecond)
      if (m.type === 'predictions' && m.split === 'test' && (!limitTrain || engine === 'webgpu'))
        accuracy = m.rows.filter((r) => r.trueIndex === r.predictedIndex).length / m.rows.length
      if (m.type === 'failed') throw new Error(m.message)
    },
    // As the trainer process runs it: on wasm, a batch in parts on one thread per core.
    { replicaEntry: join(import.meta.dirname, '../src/main/replica-worker.ts') },
  )
  return { rate: median(rates.slice(1)), accuracy, threads: usedThreads }
}

/**
 * The adapter the webgpu engine would get, asked in a child process first (Vulkan reads its driver list
 * once per process): a graphics card if there is one, else SwiftShader in this process.
 */
function webgpuAdapter(): { adapter: GpuAdapterInfo | null; problem: string | null } {
  const probe = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "import('./src/main/core/training/webgpu.ts').then((m) => m.probeAdapter()).then((r) => console.log(JSON.stringify(r)))",
    ],
    { encoding: 'utf8', cwd: join(import.meta.dirname, '..') },
  )
  const line = probe.stdout.trim().split('\n').at(-1) ?? ''
  const found = line.startsWith('{')
    ? (JSON.parse(line) as { adapter: GpuAdapterInfo | null; problem: string | null })
    : { adapter: null, problem: probe.stderr.trim().split('\n').at(-1) ?? 'the probe failed' }
  if (found.adapter && !found.adapter.software) return found
  const swift = useSwiftShader()
  return swift.ok ? { adapter: null, problem: null } : { adapter: null, problem: `${found.problem}; ${swift.why}` }
}

function pytorch(base: string): (Result & { version: string }) | { skipped: string } {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' })
  if (probe.status !== 0) return { skipped: 'python3-torch is not installed (apt-get install python3-torch)' }
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '2', MKL_NUM_THREADS: '1' }
  const r = spawnSync(
    '/usr/bin/python3',
    [join(import.meta.dirname, 'torch_cnn.py'), base, String(epochs), String(seed)],
    { encoding: 'utf8', env },
  )
  if (r.status !== 0) return { skipped: `PyTorch failed: ${r.stderr.trim().split('\n').at(-1)}` }
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rates: number[]; accuracy: number; torch: string }
  return { rate: median(out.rates.slice(1)), accuracy: out.accuracy, version: out.torch, threads: 2 }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modelbench-bench-train-'))
  try {
    const base = writeData(dir)
    const engines: EngineName[] = []
    for (const e of ['node-gpu', 'node', 'wasm'] as EngineName[]) {
      try {
        await selectEngine(e)
        engines.push(e)
      } catch (err) {
        console.log(`engine ${e}: not available (${err instanceof Error ? err.message.split('\n')[0] : err})`)
      }
    }
    // WebGPU: a graphics card joins every round; SwiftShader is checked once, on a subset, after them.
    const gpu = webgpuAdapter()
    let software: GpuAdapterInfo | null = null
    try {
      const receipt = await selectEngine('webgpu')
      if (receipt.adapter!.software) software = receipt.adapter!
      else engines.push('webgpu')
      console.log(`engine webgpu: ${adapterLabel(receipt.adapter!)}`)
    } catch (err) {
      console.log(
        `engine webgpu: not available (${gpu.problem ?? (err instanceof Error ? err.message.split('\n')[0] : err)})`,
      )
    }
    const results = new Map<string, Result[]>()
    const add = (k: string, r: Result): void => void results.set(k, [...(results.get(k) ?? []), r])
    let torchVersion = ''
    for (let round = 1; round <= rounds; round++) {
      for (const e of engines) {
        const r = await modelbench(e, base, dir)
        add(`modelbench-${e}`, r)
        console.log(
          `round ${round}: modelbench ${e} (${r.threads} thread${r.threads === 1 ? '' : 's'}): ${r.rate.toFixed(0)} samples/s, test accuracy ${(r.accuracy! * 100).toFixed(2)} %, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
        )
        if (e === 'wasm' && r.threads > 1) {
          // The same engine on one thread, to show what the batch-in-parts threads add.
          const one = await modelbench(e, base, dir, undefined, 1)
          add('single-wasm-1-thread', one)
          console.log(
            `round ${round}: modelbench wasm (1 thread): ${one.rate.toFixed(0)} samples/s, test accuracy ${(one.accuracy! * 100).toFixed(2)} %`,
          )
        }
      }
      const t = pytorch(base)
      if ('skipped' in t) {
        if (round === 1) console.log(`pytorch: ${t.skipped}`)
      } else {
        torchVersion = t.version
        add('pytorch', t)
        console.log(
          `round ${round}: pytorch ${t.version}: ${t.rate.toFixed(0)} samples/s, test accuracy ${(t.accuracy! * 100).toFixed(2)} %`,
        )
      }
    }
    const cpu = await modelbench('cpu', base, dir, 320)
    console.log(`modelbench cpu (pure JS, speed only, 320 samples): ${cpu.rate.toFixed(1)} samples/s`)
    if (software) {
      const soft = await modelbench('webgpu', base, dir, 640)
      console.log(
        `modelbench webgpu on ${adapterLabel(software)}: ${soft.rate.toFixed(1)} samples/s, test accuracy ${(soft.accuracy! * 100).toFixed(2)} % after 2 epochs on 640 samples — ` +
          'a software adapter: this checks correctness (the losses match cpu, see webgpu-training.test), it is not a GPU speed',
      )
    }
    console.log(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`)

    const best = [...results.entries()]
      .filter(([k]) => k.startsWith('modelbench'))
      .map(([k, rs]) => ({
        k,
        rate: median(rs.map((r) => r.rate)),
        acc: median(rs.map((r) => r.accuracy!)),
        threads: rs[0]!.threads,
      }))
      .sort((a, b) => b.rate - a.rate)[0]
    const single = results.get('single-wasm-1-thread')
    if (best && single) {
      const oneRate = median(single.map((r) => r.rate))
      console.log(
        `wasm on 1 thread: ${oneRate.toFixed(0)} samples/s; on ${best.threads} threads ×${(best.rate / oneRate).toFixed(2)}`,
      )
    }
    const torch = results.get('pytorch')
    if (best && torch) {
      const tr = median(torch.map((r) => r.rate))
      const ta = median(torch.map((r) => r.accuracy!))
      console.log(
        `(${best.k}; pytorch ${torchVersion}, 2 threads, BLAS 1 thread; medians of ${rounds} interleaved rounds)`,
      )
      console.log(
        `train: ratio ${(best.rate / tr).toFixed(3)} (modelbench ${best.rate.toFixed(0)} samples/s, pytorch ${tr.toFixed(0)} samples/s), accuracy ${(best.acc * 100).toFixed(2)} % vs ${(ta * 100).toFixed(2)} %`,
      )
    } else if (best) {
      console.log(
        `train: modelbench ${best.rate.toFixed(0)} samples/s, accuracy ${(best.acc * 100).toFixed(2)} % (no PyTorch to compare with)`,
      )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
