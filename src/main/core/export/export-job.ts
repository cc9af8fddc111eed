/**
 * The trainer-process side of an export: builds the run's model, loads its final weights and writes the
 * requested model files.
 */
import type { LayersModel, layers as tfLayers } from '@tensorflow/tfjs'
import type { ExportFormat } from '../../../shared/export'
import { trustedSpec } from '../../../shared/model/registry'
import type { ModelSpec } from '../../../shared/model/types'
import { buildParts } from '../backbones/model-parts'
import { loadWeights } from '../training/checkpoint'
import { selectEngine } from '../training/engine'
import type { ExportJob } from '../training/protocol'
import { writeOnnxModel, writeTfjsModel } from './model-files'

interface WriteInput {
  job: ExportJob
  spec: ModelSpec
  /** The whole model, pixels (or features) to outputs. */
  whole: LayersModel
  /** Its layers without the backbone's and the input layer. */
  layers: tfLayers.Layer[]
  backbone: LayersModel | undefined
}

/** Each export format's writer: the model files it puts in the folder (names relative to it). */
const writers: Record<ExportFormat, (w: WriteInput) => Promise<string[]>> = {
  tfjs: ({ job, whole }) => writeTfjsModel(whole, job.outDir, `ModelBench ${job.producerVersion}`),
  onnx: ({ job, spec, layers, backbone }) =>
    writeOnnxModel(layers, spec, job.outDir, {
      producerVersion: job.producerVersion,
      metadata: job.metadata,
      ...(backbone ? { backbone } : {}),
    }),
}

export async function runExport(job: ExportJob): Promise<Record<string, string[]>> {
  // The files hold weights, not computations: the reference CPU engine is enough and always present.
  await selectEngine('cpu')
  // The core read it from the run's stored spec, normalised, before sending it.
  const spec = trustedSpec(job.spec)
  const parts = await buildParts(spec, 0)
  try {
    await loadWeights(job.weightsDir, parts.trained)
    // With a backbone the files hold the whole model, pixels to probabilities: the backbone (fine-tuned
    // blocks included, since they share their weights with the trained part) and the head.
    const whole = parts.whole()
    const inBackbone = new Set(parts.backbone?.loaded.model.layers ?? [])
    const layers = whole.layers.filter((l) => !inBackbone.has(l) && l.getClassName() !== 'InputLayer')
    const files: Record<string, string[]> = {}
    for (const format of job.formats)
      files[format] = await writers[format]({ job, spec, whole, layers, backbone: parts.backbone?.loaded.model })
    return files
  } finally {
    parts.dispose()
  }
}
