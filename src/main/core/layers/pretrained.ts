/** A pretrained backbone in the main process: loaded by the trainer, not built from a spec; exported as its whole graph. */
import { LayerError } from '../../../shared/model/types'
import { appendGraph } from '../export/onnx-graph'
import type { MainLayer } from './parts'

export const pretrained: MainLayer<'Pretrained'> = {
  build: () => {
    throw new LayerError(
      'A pretrained backbone is loaded by the trainer (backbones/model-parts), not built from a spec',
    )
  },
  onnx: (_c, { x }, { g, index, options }) => {
    if (!options.backbone) throw new Error(`Layer ${index + 1} (Pretrained): the backbone's graph was not given`)
    const out = appendGraph(g, options.backbone, x)
    return { x: out.output, shape: out.shape, layout: out.shape.length === 3 ? 'nchw' : 'flat' }
  },
}
