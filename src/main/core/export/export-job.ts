/**
 * The trainer-process side of an export: builds the run's model, loads its final weights and writes the
 * requested model files.
 */
import { normalizeLayer } from '../../../shared/model/registry'
import type { ModelSpec } from '../../../shared/model/types'
import { buildModel } from '../training/build-model'
import { loadWeights } from '../training/checkpoint'
import { selectEngine } from '../training/engine'
import type { ExportJob } from '../training/protocol'
import { writeOnnxModel, writeTfjsModel } from './model-files'

export async function runExport(job: ExportJob): Promise<Record<string, string[]>> {
  // The files hold weights, not computations: the reference CPU engine is enough and always present.
  await selectEngine('cpu')
  const spec: ModelSpec = { inputShape: job.spec.inputShape, layers: job.spec.layers.map((l) => normalizeLayer(l)) }
  const model = buildModel(spec)
  try {
    await loadWeights(job.weightsDir, model)
    const files: Record<string, string[]> = {}
    for (const format of job.formats) {
      files[format] =
        format === 'tfjs'
          ? await writeTfjsModel(model, job.outDir, `ModelBench ${job.producerVersion}`)
          : await writeOnnxModel(model, spec, job.outDir, { producerVersion: job.producerVersion, metadata: job.metadata })
    }
    return files
  } finally {
    model.dispose()
  }
}
