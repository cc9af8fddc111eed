/**
 * Inference with a finished run's final weights, in a one-off trainer process: "Try it" (an image or a
 * table row, preprocessed exactly as in training), label suggestions for unlabelled images, the
 * predictions an export is checked against, and writing an export's model files.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { DatasetVersion } from '../../../shared/contract'
import type { TryRowResult } from '../../../shared/export'
import { backbones } from '../../../shared/model/backbones'
import { backboneConfig, storedSpec } from '../../../shared/model/registry'
import type { ModelSpec } from '../../../shared/model/types'
import type { LabelSuggestion, TryImageResult } from '../../../shared/training'
import type { EngineName, EngineProbe } from './engine'
import type { EnginePreferences } from './engine-preference'
import type { BlobStore } from '../datasets/blob-store'
import type { DatasetRow, DatasetsService, TableRowValues } from '../datasets/datasets-service'
import { BadFileError, inspectImage, modelInputPixels } from '../datasets/image-file'
import { mapConcurrent } from '../datasets/map-concurrent'
import { AppError, notFound } from '../errors'
import { argmax } from '../evaluation/metrics'
import type { LoopState } from './checkpoint'
import { buildProfile, imageStats, unusualInput, type InputProfile } from './input-profile'
import type { TrainerLauncher } from './launcher'
import type { ExportJob, FromTrainer, ToTrainer } from './protocol'
import type { RunRecords, RunRow } from './run-records'
import { encodeRows, rowProblem, type TableEncoder } from './table-encoding'

/** Table rows as the model's input: the encoder's features, float32 bytes. */
export function featureBytes(encoder: TableEncoder, rows: TableRowValues[]): Buffer {
  const features = encodeRows(encoder, rows)
  return Buffer.from(features.buffer, features.byteOffset, features.byteLength)
}

export class Predictor {
  constructor(
    private readonly records: RunRecords,
    private readonly datasets: DatasetsService,
    private readonly blobs: BlobStore,
    private readonly launch: TrainerLauncher,
    /** Predictions run on the engine training would use (the Engine page's setting, MODELBENCH_ENGINE). */
    private readonly engines: Pick<EnginePreferences, 'resolve'>,
  ) {}

  finalWeights(runId: string): string {
    return join(this.blobs.dataDir, 'runs', runId, 'checkpoints', 'final')
  }

  /** A completed run with final weights — what predicting and exporting need — or an error saying why not. */
  completedRun(runId: string, purpose: string): RunRow {
    const run = this.records.row(runId)
    if (run.status !== 'completed')
      throw new AppError('INVALID_STATE', `Only a completed run can ${purpose}; “${run.name}” is ${run.status}`)
    if (!existsSync(join(this.finalWeights(runId), 'checkpoint.json')))
      throw new AppError(
        'INVALID_STATE',
        `“${run.name}” was trained before final weights were kept; train it again to ${purpose}`,
      )
    return run
  }

  /** A completed image-classification run with final weights, or an error saying why not. */
  private imageClassifier(
    runId: string,
    purpose: string,
  ): { run: RunRow; dataset: DatasetRow; version: DatasetVersion } {
    const run = this.completedRun(runId, purpose)
    const version = this.datasets.version(run.dataset_version_id)
    const dataset = this.datasets.row(version.datasetId)
    if (dataset.kind !== 'image' || dataset.task !== 'classification')
      throw new AppError('INVALID_STATE', `Only image classification runs can ${purpose}`)
    return { run, dataset, version }
  }

  /**
   * Label suggestions: the run's model (its final weights) over the dataset's unlabeled images, most
   * uncertain first — those are the ones worth a person's look; confident ones can be accepted quickly.
   */
  async suggestLabels(runId: string, limit = 2000): Promise<{ items: LabelSuggestion[] }> {
    const { run, dataset, version } = this.imageClassifier(runId, 'suggest labels')
    const samples = this.datasets.unlabeledSamples(dataset.id, limit)
    if (samples.length === 0) return { items: [] }
    const probabilities = await this.predictImages(
      run,
      samples.map((s) => readFileSync(this.blobs.blobPath(s.hash))),
    )
    const classes = new Map(this.datasets.classes(dataset.id).map((k) => [k.name, k.id]))
    const items = samples.flatMap((s, i) => {
      const probs = probabilities[i]!
      const best = argmax(probs)
      const className = version.classNames[best]!
      const classId = classes.get(className)
      return classId === undefined
        ? []
        : [{ sampleId: s.id, hash: s.hash, classId, className, confidence: Math.round(probs[best]! * 1e4) / 1e4 }]
    })
    items.sort((a, b) => a.confidence - b.confidence)
    return { items }
  }

  /** "Try it": a completed run's class probabilities for one image — a dataset sample or a file's bytes —
   * preprocessed exactly as in training. */
  async tryImage(
    runId: string,
    input: { sampleId?: number; image?: Buffer; fileName?: string },
  ): Promise<TryImageResult> {
    const { run, dataset, version } = this.imageClassifier(runId, 'try an image')
    let data: Buffer
    let trueClass: string | null = null
    let sampleHash: string | null = null
    if (input.sampleId !== undefined) {
      const s = this.datasets.sample(dataset.id, input.sampleId)
      if (!s) throw notFound('Sample', String(input.sampleId))
      data = readFileSync(this.blobs.blobPath(s.hash))
      trueClass = s.className
      sampleHash = s.hash
    } else if (input.image) {
      data = input.image
      try {
        await inspectImage(data)
      } catch (err) {
        if (err instanceof BadFileError)
          throw new AppError('INVALID_ARGUMENT', `${input.fileName ?? 'The file'}: ${err.message}`, 'imageBase64')
        throw err
      }
    } else {
      throw new AppError('INVALID_ARGUMENT', 'Give a sample or an image to try')
    }
    const spec = storedSpec(run.spec_json)
    const [height, width, channels] = spec.inputShape as [number, number, 1 | 3]
    const pixels = await modelInputPixels(data, [height, width, channels])
    const answer = await this.predictOn(run.id, { type: 'pixels', data: pixels }, 1)
    const probabilities = answer.probabilities[0]!
    const classes = version.classNames.map((name, i) => ({ name, probability: probabilities[i]! }))
    const png = await sharp(pixels, { raw: { width, height, channels } }).png().toBuffer()
    const unusual = unusualInput(imageStats(pixels, channels), await this.inputProfile(run, [height, width, channels]))
    return {
      predicted: version.classNames[argmax(probabilities)]!,
      engine: answer.engine,
      trueClass,
      sampleHash,
      classes,
      seen: { pngBase64: png.toString('base64'), width, height, channels, scaling: this.scalingWords(run.id) },
      unusual,
    }
  }

  /** How a run scales its input pixels, in words: "÷ 255, to 0–1", or the per-channel mean and deviation. */
  private scalingWords(runId: string): string {
    const prep = this.inputPreparation(runId)
    if (prep.kind !== 'image') return ''
    const round = (v: number): string => String(Math.round(v * 10) / 10)
    if (prep.mean.every((m) => m === 0) && prep.std.every((d) => d === 255)) return 'pixel values ÷ 255, so 0 to 1'
    const same = prep.mean.every((m) => m === prep.mean[0]) && prep.std.every((d) => d === prep.std[0])
    if (same) return `(pixel value − ${round(prep.mean[0]!)}) ÷ ${round(prep.std[0]!)}`
    return `(pixel value − mean) ÷ deviation per channel (means ${prep.mean.map(round).join(', ')}; deviations ${prep.std.map(round).join(', ')})`
  }

  /**
   * The look of a run's training images (brightness, contrast, colour; up to 300 of them, resized as for the
   * model), measured once and kept with the run for later tries.
   */
  private async inputProfile(run: RunRow, shape: [number, number, 1 | 3]): Promise<InputProfile> {
    const path = join(this.blobs.dataDir, 'runs', run.id, 'input-profile.json')
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as InputProfile
    const hashes = this.datasets.versionSampleHashes(run.dataset_version_id, 'train', 300)
    const stats = await mapConcurrent(hashes, 4, async (h) =>
      imageStats(await modelInputPixels(readFileSync(this.blobs.blobPath(h)), shape), shape[2]),
    )
    const profile = buildProfile(stats)
    writeFileSync(path, JSON.stringify(profile))
    return profile
  }

  /** "Try it" for tables: a completed run's prediction for a dataset row or for values typed in. */
  async tryRow(runId: string, input: { sampleId?: number; values?: TableRowValues }): Promise<TryRowResult> {
    const run = this.completedRun(runId, 'try a row')
    const version = this.datasets.version(run.dataset_version_id)
    const dataset = this.datasets.row(version.datasetId)
    if (dataset.kind !== 'table')
      throw new AppError('INVALID_STATE', 'Only runs trained on a table can try a row; use an image for this run')
    let values: TableRowValues
    let trueClass: string | null = null
    let trueValue: number | null = null
    if (input.sampleId !== undefined) {
      const s = this.datasets.sample(dataset.id, input.sampleId)
      if (!s) throw notFound('Row', String(input.sampleId))
      values = s.values ?? {}
      trueClass = s.className
      trueValue = s.targetValue
    } else {
      values = input.values ?? {}
    }
    // Read once: typed-in values are checked against the encoder they are then encoded with.
    const encoder = this.tableEncoder(runId)
    const problem = input.sampleId === undefined ? rowProblem(encoder, values) : null
    if (problem) throw new AppError('INVALID_ARGUMENT', problem, 'values')
    const [out] = (await this.predictInputs(runId, { type: 'features', data: featureBytes(encoder, [values]) }, 1)) as [
      number[],
    ]
    if (dataset.task === 'regression')
      return { values, predicted: null, value: out[0]!, trueClass: null, trueValue, classes: [] }
    return {
      values,
      predicted: version.classNames[argmax(out)]!,
      value: null,
      trueClass,
      trueValue: null,
      classes: version.classNames.map((name, i) => ({ name, probability: out[i]! })),
    }
  }

  /** How the run's inputs were prepared: per-channel pixel mean and deviation, or the table encoder. */
  inputPreparation(
    runId: string,
  ): { kind: 'image'; mean: number[]; std: number[] } | { kind: 'table'; encoder: TableEncoder } {
    const table = join(this.blobs.dataDir, 'runs', runId, 'preprocessing.json')
    if (existsSync(table))
      return { kind: 'table', encoder: (JSON.parse(readFileSync(table, 'utf8')) as { encoder: TableEncoder }).encoder }
    const { state } = JSON.parse(readFileSync(join(this.finalWeights(runId), 'checkpoint.json'), 'utf8')) as {
      state: LoopState
    }
    const spec = storedSpec(this.records.row(runId).spec_json)
    const channels = spec.inputShape[2] ?? 1
    const backbone = backboneConfig(spec)
    if (backbone) {
      // The backbone's own scaling, p × scale + offset, as the (p − mean) / std that preprocessing.json documents.
      const { scale, offset } = backbones[backbone.backbone].normalization
      return {
        kind: 'image',
        mean: Array<number>(channels).fill(-offset / scale),
        std: Array<number>(channels).fill(1 / scale),
      }
    }
    return state.normalization
      ? { kind: 'image', ...state.normalization }
      : { kind: 'image', mean: Array<number>(channels).fill(0), std: Array<number>(channels).fill(255) }
  }

  /** Decodes and resizes images as the training cache does: uint8 pixels, N × h × w × c. */
  async imagePixels(spec: ModelSpec, images: Buffer[]): Promise<Buffer> {
    return Buffer.concat(
      await Promise.all(images.map((data) => modelInputPixels(data, spec.inputShape as [number, number, 1 | 3]))),
    )
  }

  private async predictImages(run: RunRow, images: Buffer[]): Promise<number[][]> {
    return this.predictInputs(
      run.id,
      { type: 'pixels', data: await this.imagePixels(storedSpec(run.spec_json), images) },
      images.length,
    )
  }

  /**
   * Predicts with a completed run's final weights: images as uint8 pixels prepared by imagePixels, or table
   * rows encoded with the run's encoder.
   */
  async predictInputs(
    runId: string,
    inputs: { type: 'pixels' | 'features'; data: Buffer },
    count: number,
  ): Promise<number[][]> {
    return (await this.predictOn(runId, inputs, count)).probabilities
  }

  /** predictInputs, with the engine that computed the answer. */
  private async predictOn(
    runId: string,
    inputs: { type: 'pixels' | 'features'; data: Buffer },
    count: number,
  ): Promise<{ probabilities: number[][]; engine: EngineName }> {
    const run = this.records.row(runId)
    const task = this.datasets.row(this.datasets.version(run.dataset_version_id).datasetId).task
    const path = join(this.blobs.dataDir, 'runs', run.id, `predict-${randomUUID()}.bin`)
    writeFileSync(path, inputs.data)
    try {
      const answer = await this.oneOff(
        {
          type: 'predict',
          job: {
            spec: storedSpec(run.spec_json),
            weightsDir: this.finalWeights(run.id),
            inputs: { path, type: inputs.type },
            count,
            task,
            ...(this.engines.resolve() ? { engine: this.engines.resolve()! } : {}),
          },
        },
        'predicted',
        'Predicting',
      )
      return { probabilities: answer.probabilities, engine: answer.engine }
    } finally {
      rmSync(path, { force: true })
    }
  }

  /** Encodes table rows with the run's encoder, as training did. */
  encodeTableRows(runId: string, rows: TableRowValues[]): Buffer {
    return featureBytes(this.tableEncoder(runId), rows)
  }

  /** The encoder a table run was trained with (from its preprocessing.json). */
  private tableEncoder(runId: string): TableEncoder {
    const prep = this.inputPreparation(runId)
    if (prep.kind !== 'table') throw new AppError('INVALID_STATE', 'This run was not trained on a table')
    return prep.encoder
  }

  /** Writes an export's model files from a run's final weights (in a trainer process). */
  async writeModelFiles(job: ExportJob): Promise<Record<string, string[]>> {
    return (await this.oneOff({ type: 'export', job }, 'exported', 'Writing the model files')).files
  }

  /**
   * The engine training would start and the WebGPU adapter, found in a trainer process as training finds
   * them (Dawn and the native engines are never loaded into the app's own process).
   */
  async probeEngines(engine?: EngineName): Promise<EngineProbe> {
    const message: ToTrainer = engine ? { type: 'probe', engine } : { type: 'probe' }
    return (await this.oneOff(message, 'probed', 'Starting the training engine')).found
  }

  /** Runs one job in its own trainer process and resolves with its answer. */
  private oneOff<T extends 'predicted' | 'exported' | 'probed'>(
    message: ToTrainer,
    answer: T,
    what: string,
  ): Promise<Extract<FromTrainer, { type: T }>> {
    return new Promise((resolve, reject) => {
      const child = this.launch()
      let answered = false
      child.onMessage((m) => {
        if (m.type === answer) {
          answered = true
          resolve(m as Extract<FromTrainer, { type: T }>)
        } else if (m.type === 'failed') {
          answered = true
          reject(new AppError('INTERNAL', `${what} failed: ${m.message}`))
        }
      })
      child.onExit((code, signal) => {
        if (!answered)
          reject(
            new AppError(
              'INTERNAL',
              `${what} ended unexpectedly: the process exited (${signal ?? `exit code ${code}`})`,
            ),
          )
      })
      child.send(message)
    })
  }
}
