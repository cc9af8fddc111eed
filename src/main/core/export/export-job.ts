/**
 * The trainer-process side of an export: builds the run's model, loads its final weights and writes the
 * requested model files.
 */
import { normalizeLayer } from '../../../shared/model/registry'
import type { ModelSpec } from '../../../shared/model/types'
import { buildParts } from '../backbones/model-parts'
import { loadWeights } from '../training/checkpoint'
import { selectEngine } from '../training/engine'
import type { ExportJob } from '../training/protocol'
import { writeOnnxModel, writeTfjsModel } from './model-files'

export async function runExport(job: ExportJob): Promise<Record<string, string[]>> {
  // The files hold weights, not computations: the reference CPU engine is enough and always present.
  await selectEngine('cpu')
  const spec: ModelSpec = { inputShape: job.spec.inputShape, layers: job.spec.layers.map((l) => normalizeLayer(l)) }
  const parts = await buildParts(spec, 0)
  try {
    await loadWeights(job.weightsDir, parts.trained)
    // With a backbone the files hold the whole model, pixels to probabilities: the backbone (fine-tuned
    // blocks included, since they share their weights with the trained part) and the head.
    const whole = parts.whole()
    const inBackbone = new Set(parts.backbone?.loaded.model.layers ?? [])
    const layers = whole.layers.filter((l) => !inBackbone.has(l) && l.getClassName() !== 'InputLayer')
    const files: Record<string, string[]> = {}
    for (const format of job.formats) {
      files[format] =
        format === 'tfjs'
          ? await writeTfjsModel(whole, job.outDir, `ModelBench ${job.producerVersion}`)
          : await writeOnnxModel(layers, spec, job.outDir, { producerVersion: job.producerVersion, metadata: job.metadata, ...(parts.backbone ? { backbone: parts.backbone.loaded.model } : {}) })
    }
    return files
  } finally {
    parts.dispose()
  }
}

