/** Shared shape rule for layers that need a 3-D (height, width, channels) input. */
import { formatShape, LayerError, type Shape } from '../types'

export function requireImage(layer: string, input: Shape): [number, number, number] {
  if (input.length !== 3) {
    throw new LayerError(`${layer} needs a 3-D input (height, width, channels) but its input is ${formatShape(input)}`)
  }
  return [input[0]!, input[1]!, input[2]!]
}
