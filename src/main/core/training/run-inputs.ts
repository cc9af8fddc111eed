/**
 * What a run needs before its trainer starts: a model spec checked against the data it will train on
 * (refused with the layer and the reason, before anything is cached), and the data prepared for the
 * trainer — the pixel cache of an image dataset, or a table's rows encoded with an encoder fitted on the
 * training split (kept with the run as preprocessing.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DatasetVersion, Split, TableColumn } from '../../../shared/contract'
import { messageOf } from '../../../shared/messages'
import {
  analyzeStack,
  backboneConfig,
  canonicalSpec,
  outputActivationProblem,
  outputUnitsProblem,
} from '../../../shared/model/registry'
import type { ModelSpec } from '../../../shared/model/types'
import type { BlobStore } from '../datasets/blob-store'
import type { DatasetsService } from '../datasets/datasets-service'
import { cachePaths } from '../datasets/tensor-cache'
import { AppError } from '../errors'
import type { EventBus } from '../events'
import type { TrainJob } from './protocol'
import { encodeRows, fitEncoder } from './table-encoding'

/** Normalises the spec and refuses, before any training, a stack that cannot work with this data. */
export function checkRunSpec(
  raw: ModelSpec,
  kind: 'image' | 'table',
  task: 'classification' | 'regression',
  version: DatasetVersion,
  columns: TableColumn[],
): ModelSpec {
  let spec: ModelSpec
  try {
    // Canonical already when it came through the contract's schema; a sweep's trial spec is normalised here.
    spec = canonicalSpec(raw)
  } catch (err) {
    throw new AppError('INVALID_ARGUMENT', messageOf(err), 'spec')
  }
  const analysis = analyzeStack(spec)
  if (analysis.firstError) {
    const i = analysis.firstError.index
    throw new AppError(
      'INVALID_ARGUMENT',
      i < 0 ? analysis.firstError.message : `Layer ${i + 1} (${spec.layers[i]!.type}): ${analysis.firstError.message}`,
      'spec',
    )
  }
  if (kind === 'image' && !(spec.inputShape.length === 3 && (spec.inputShape[2] === 1 || spec.inputShape[2] === 3))) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `An image model's input must be (height, width, 1 or 3). Received: (${spec.inputShape.join(', ')})`,
      'spec',
    )
  }
  if (kind === 'table' && spec.inputShape.length !== 1) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `A table model's input must be one dimension: the number of features (${columns.length} columns, categories one-hot)`,
      'spec',
    )
  }
  const unitsProblem = outputUnitsProblem(analysis.outputShape!.at(-1)!, task, version.classNames)
  if (unitsProblem) throw new AppError('INVALID_ARGUMENT', unitsProblem, 'spec')
  // Relu, linear or softmax in the wrong place trains to chance without a word: refused with what it needs.
  const activationProblem = outputActivationProblem(spec, task, version.classNames.length)
  if (activationProblem) throw new AppError('INVALID_ARGUMENT', activationProblem, 'spec')
  return spec
}

export async function prepareRunData(
  { datasets, blobs, events }: { datasets: DatasetsService; blobs: BlobStore; events: EventBus },
  runId: string,
  projectId: string,
  spec: ModelSpec,
  version: DatasetVersion,
  splits: Split[] | null,
): Promise<TrainJob['data']> {
  const dataset = datasets.row(version.datasetId)
  if (dataset.kind === 'image') {
    const shape = { height: spec.inputShape[0]!, width: spec.inputShape[1]!, channels: spec.inputShape[2] as 1 | 3 }
    const started = Date.now()
    await datasets.buildImageCache(blobs, version.id, shape, (done, total) => {
      const rate = done / Math.max((Date.now() - started) / 1000, 1e-3)
      events.emit('training.prepareProgressed', {
        runId,
        projectId,
        phase: 'images',
        done,
        total,
        secondsLeft: done < total ? (total - done) / rate : 0,
      })
    })
    const paths = cachePaths(blobs.dataDir, version.id, shape)
    const featureDir = backboneConfig(spec) ? join(blobs.dataDir, 'caches', version.id, 'features') : undefined
    return {
      kind: 'image',
      cacheData: paths.data,
      cacheMeta: paths.meta,
      ...(featureDir ? { featureDir } : {}),
      ...(splits ? { splits } : {}),
    }
  }
  const rows = datasets.versionSamples(version.id)
  const values = rows.map((r) => r.values ?? {})
  const columns = JSON.parse(dataset.columns_json ?? '[]') as TableColumn[]
  const encoder = fitEncoder(
    columns,
    values.filter((_, i) => rows[i]!.split === 'train'),
    datasets.tableValues(dataset.id),
  )
  if (spec.inputShape[0] !== encoder.featureCount) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `The model's input has ${spec.inputShape[0]} values but the table gives ${encoder.featureCount} features per row`,
      'spec',
    )
  }
  const dir = join(blobs.dataDir, 'runs', runId)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'preprocessing.json'), JSON.stringify({ kind: 'table', encoder }, null, 1))
  return {
    kind: 'table',
    features: encodeRows(encoder, values),
    featureCount: encoder.featureCount,
    targets: Float32Array.from(rows, (r) => (dataset.task === 'regression' ? r.targetValue! : r.classIndex!)),
    sampleIds: rows.map((r) => r.sampleId),
    splits: splits ?? rows.map((r) => r.split),
  }
}
