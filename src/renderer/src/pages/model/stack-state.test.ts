import { describe, expect, it } from 'vitest'
import {
  addPosition,
  analyze,
  apply,
  describeChange,
  hasUnsavedWork,
  inputMismatch,
  modelProblem,
  newHistory,
  itemsFrom,
  outputLayerFor,
  outputMismatch,
  paletteGroups,
  perform,
  quickFix,
  redo,
  suggestedTemplate,
  templateProblem,
  templates,
  toSpec,
  undo,
  withOutputLayer,
  type Draft,
  type History,
  type StackAction,
  type Target,
  type Template,
} from './stack-state'
import { layerTypes, normalizeLayer } from '../../../../shared/model/registry'
import { trainingMemoryBytes } from '../../../../shared/model/memory'

const digits = { kind: 'image' as const, task: 'classification' as const, classes: 10, inputShape: [28, 28, 1] }

function start(): History {
  return newHistory(templates.find((t) => t.id === 'tiny-cnn')!.build(digits))
}

describe('stacker actions', () => {
  it('adds, moves, duplicates and removes layers, and undo/redo walks the history', () => {
    let h = start()
    const first = h.present.items[0]!.id
    h = apply(h, { name: 'addLayer', type: 'Dropout', index: 1 })
    expect(h.present.items[1]!.layer).toEqual({ type: 'Dropout', config: { rate: 0.5 } })
    h = apply(h, { name: 'moveLayer', id: first, to: 2 })
    expect(h.present.items.map((i) => i.layer.type).slice(0, 3)).toEqual(['Dropout', 'MaxPooling2D', 'Conv2D'])
    h = apply(h, { name: 'duplicateLayer', id: first })
    expect(h.present.items.filter((i) => i.layer.type === 'Conv2D')).toHaveLength(3)
    h = apply(h, { name: 'removeLayer', id: first })
    const afterRemove = h.present
    expect(h.pastNames).toEqual(['Add Dropout', 'Move Conv2D', 'Duplicate Conv2D', 'Remove Conv2D'])
    h = undo(undo(h))
    expect(h.present.items.map((i) => i.layer.type).slice(0, 3)).toEqual(['Dropout', 'MaxPooling2D', 'Conv2D'])
    expect(h.pastNames).toEqual(['Add Dropout', 'Move Conv2D'])
    expect(h.futureNames).toEqual(['Duplicate Conv2D', 'Remove Conv2D'])
    h = redo(h)
    expect(h.pastNames.at(-1)).toBe('Duplicate Conv2D')
    expect(h.futureNames).toEqual(['Remove Conv2D'])
    h = redo(h)
    expect(h.present).toBe(afterRemove)
    expect(h.futureNames).toEqual([])
    expect(undo({ ...h, past: [] })).toEqual({ ...h, past: [] })
  })

  it('says each edit in words for a screen reader, numbering layers from 1 as on screen', () => {
    const d = start().present
    const said = (a: StackAction): string | null => describeChange(d, perform(d, a), a)
    const types = d.items.map((i) => i.layer.type)
    expect(said({ name: 'addLayer', type: 'Dropout', index: 3 })).toBe('Dropout added after layer 3')
    expect(said({ name: 'addLayer', type: 'Conv2D', index: 0 })).toBe('Conv2D added as the first layer')
    expect(said({ name: 'removeLayer', id: d.items[1]!.id })).toBe(
      `Layer 2, ${types[1]}, removed; ${d.items.length - 1} layers left`,
    )
    expect(said({ name: 'duplicateLayer', id: d.items[0]!.id })).toBe(`${types[0]} copied after layer 1`)
    expect(said({ name: 'moveLayer', id: d.items[0]!.id, to: 2 })).toBe(`${types[0]} moved from layer 1 to layer 3`)
    expect(said({ name: 'moveLayer', id: d.items[0]!.id, to: -1 })).toBeNull()
    expect(said({ name: 'setInputShape', shape: [32, 32, 1] })).toBe('Input set to 32×32×1')
    expect(said({ name: 'updateLayer', id: d.items[0]!.id, config: { filters: 4 } })).toBeNull()
  })

  it('refuses an invalid setting with the layer’s message and leaves the stack as it was', () => {
    const h = start()
    const conv = h.present.items[0]!
    expect(() => perform(h.present, { name: 'updateLayer', id: conv.id, config: { filters: 0 } })).toThrow(
      'Conv2D: filters must be a positive whole number. Received: filters=0',
    )
    const updated = perform(h.present, { name: 'updateLayer', id: conv.id, config: { filters: 8, padding: 'same' } })
    expect(updated.items[0]!.layer.config).toMatchObject({ filters: 8, padding: 'same' })
    expect(h.present.items[0]!.layer.config).toMatchObject({ filters: 16 })
  })
})

describe('shapes and errors in the stacker', () => {
  it('shows every layer’s output shape and the totals of the tiny CNN', () => {
    const a = analyze(start().present)
    expect(a.layers.map((l) => l.outputShape)).toEqual([
      [26, 26, 16],
      [13, 13, 16],
      [11, 11, 32],
      [5, 5, 32],
      [800],
      [64],
      [10],
    ])
    expect(a.totalParams).toBe(56_714)
  })

  it('places the error at the layer that cannot follow, and offers to insert a Flatten', () => {
    let h = start()
    const flatten = h.present.items.find((i) => i.layer.type === 'Flatten')!
    h = apply(h, { name: 'removeLayer', id: flatten.id })
    const a = analyze(h.present)
    expect(a.firstError?.index).toBe(4)
    expect(a.layers[4]!.error).toMatch(/^Dense needs a flat input, but follows MaxPooling2D/)
    const fix = quickFix(h.present, a)!
    expect(fix.label).toBe('Insert Flatten before it')
    h = apply(h, fix.action)
    expect(analyze(h.present).firstError).toBeNull()
  })

  it('inserts a Flatten once: one further down moves up instead of a second one', () => {
    // Conv2D → Dense → Flatten → Dense: the fix for the first Dense moves the Flatten before it.
    const d: Draft = {
      inputShape: [28, 28, 1],
      items: itemsFrom(
        ['Conv2D', 'Dense', 'Flatten', 'Dense'].map((type) =>
          normalizeLayer({ type, config: type === 'Dense' ? { units: 10, activation: 'softmax' } : {} }),
        ),
      ),
    }
    const fix = quickFix(d, analyze(d))!
    const fixed = perform(d, fix.action)
    expect(fixed.items.map((i) => i.layer.type)).toEqual(['Conv2D', 'Flatten', 'Dense', 'Dense'])
    expect(analyze(fixed).firstError).toBeNull()
  })

  it('adds from the palette after the selection, else before the output layer, never after it', () => {
    const d = start().present // Conv2D, MaxPooling2D, Flatten, Dropout, Dense (output)
    const last = d.items.length - 1
    expect(addPosition(d, -1)).toBe(last)
    expect(addPosition(d, last)).toBe(last)
    expect(addPosition(d, 1)).toBe(2)
    const added = perform(d, { name: 'addLayer', type: 'Dropout', index: addPosition(d, -1) })
    expect(added.items.at(-1)!.layer.type).toBe('Dense')
    expect(addPosition({ inputShape: [4], items: [] }, -1)).toBe(0)
  })

  it('says when the output does not fit the data, and builds the fitting output layer', () => {
    const d: Draft = { inputShape: [4], items: itemsFrom([normalizeLayer({ type: 'Dense', config: { units: 5 } })]) }
    expect(outputMismatch(d, analyze(d), { ...digits, classes: 3 })).toBe(
      'The last layer has 5 units but the data has 3 classes',
    )
    expect(outputLayerFor({ ...digits, classes: 2 })).toMatchObject({ config: { units: 1, activation: 'sigmoid' } })
    expect(outputLayerFor({ ...digits, task: 'regression' })).toMatchObject({
      config: { units: 1, activation: 'linear' },
    })
  })

  it('fits the output layer: replacing the last Dense, or adding one after a backbone', () => {
    const dense: Draft = {
      inputShape: [4],
      items: itemsFrom([
        normalizeLayer({ type: 'Dense', config: { units: 8 } }),
        normalizeLayer({ type: 'Dense', config: { units: 5 } }),
      ]),
    }
    expect(
      withOutputLayer(dense, { ...digits, classes: 3 }).items.map((i) => [
        i.layer.type,
        'units' in i.layer.config ? i.layer.config.units : null,
      ]),
    ).toEqual([
      ['Dense', 8],
      ['Dense', 3],
    ])
    const backbone: Draft = { inputShape: [224, 224, 3], items: itemsFrom([normalizeLayer({ type: 'Pretrained' })]) }
    const fixed = withOutputLayer(backbone, { ...digits, classes: 3 })
    expect(fixed.items.map((i) => i.layer.type)).toEqual(['Pretrained', 'Dense'])
    expect(outputMismatch(fixed, analyze(fixed), { ...digits, classes: 3 })).toBeNull()
  })

  it('puts a backbone added from the palette first, on the input it takes', () => {
    const d = perform(start().present, { name: 'addLayer', type: 'Pretrained', index: 3 })
    expect(d.inputShape).toEqual([224, 224, 3])
    expect(d.items[0]!.layer.type).toBe('Pretrained')
    expect(
      perform(d, { name: 'addLayer', type: 'Pretrained' }).items.filter((i) => i.layer.type === 'Pretrained'),
    ).toHaveLength(1)
  })

  it('suggests the pretrained backbone for photos, the tiny CNN for small grey images, the MLP for tables', () => {
    const photos = { kind: 'image' as const, task: 'classification' as const, classes: 2, inputShape: [150, 150, 3] }
    expect(suggestedTemplate(photos).id).toBe('pretrained')
    expect(suggestedTemplate({ ...photos, inputShape: [32, 32, 3] }).id).toBe('pretrained')
    expect(suggestedTemplate({ ...photos, inputShape: [128, 128, 1] }).id).toBe('pretrained')
    expect(suggestedTemplate(digits).id).toBe('tiny-cnn')
    expect(suggestedTemplate({ kind: 'table', task: 'classification', classes: 3, inputShape: [4] }).id).toBe('mlp')
  })

  it('estimates training memory from parameters and activations', () => {
    const d = start().present
    const a = analyze(d)
    expect(trainingMemoryBytes(toSpec(d), a, 32)).toBeGreaterThan(a.totalParams * 16)
    expect(trainingMemoryBytes(toSpec(d), a, 64)).toBeGreaterThan(trainingMemoryBytes(toSpec(d), a, 32))
  })

  it('builds every template into a valid stack for fitting data, and the palette lists every layer type', () => {
    for (const t of templates) {
      const target =
        t.id === 'mlp'
          ? { kind: 'table' as const, task: 'classification' as const, classes: 3, inputShape: [4] }
          : t.id === 'small-cnn'
            ? { ...digits, inputShape: [150, 150, 3] }
            : digits
      expect(analyze(t.build(target)).firstError, t.id).toBeNull()
    }
    expect(paletteGroups.flatMap((g) => g.types).sort()).toEqual([...layerTypes].sort())
  })
})

describe('templates and the data (issue 15, item 5)', () => {
  const digits: Target = { kind: 'image', task: 'classification', classes: 10, inputShape: [28, 28, 1] }
  const photos: Target = { kind: 'image', task: 'classification', classes: 3, inputShape: [160, 160, 3] }
  const iris: Target = { kind: 'table', task: 'classification', classes: 3, inputShape: [4] }
  const byId = (id: Template['id']): Template => templates.find((t) => t.id === id)!

  it('sizes the input for the data: a CNN takes the images as they are, the MLP the row width', () => {
    expect(byId('tiny-cnn').build(digits).inputShape).toEqual([28, 28, 1])
    expect(byId('small-cnn').build(photos).inputShape).toEqual([160, 160, 3])
    expect(byId('mlp').build({ ...iris, inputShape: [7] }).inputShape).toEqual([7])
    expect(byId('pretrained').build(digits).inputShape).toEqual([224, 224, 3])
  })

  it('says why a template cannot be used: the other kind of data, or layers that do not fit the size', () => {
    expect(templateProblem(byId('mlp'), digits)?.summary).toBe('for tables, not images')
    expect(templateProblem(byId('tiny-cnn'), iris)?.summary).toBe('for images, not tables')
    // The option says it in a few words (a long option widens the select past the page); the tooltip says why.
    expect(templateProblem(byId('small-cnn'), digits)?.summary).toBe('does not fit 28×28×1 images')
    expect(templateProblem(byId('small-cnn'), digits)?.detail).toMatch(
      /^does not fit 28×28×1 images: Conv2D: a 3×3 kernel/,
    )
    expect(templateProblem(byId('small-cnn'), photos)).toBeNull()
    expect(templateProblem(byId('tiny-cnn'), digits)).toBeNull()
    expect(templateProblem(byId('blank'), iris)).toBeNull()
    expect(templateProblem(byId('blank'), digits)).toBeNull()
  })

  it('refuses a model whose input cannot take the data, naming both', () => {
    expect(inputMismatch(byId('mlp').build(iris), digits)).toBe(
      'This model takes rows of 4 values, but the data is 28×28×1 images',
    )
    expect(inputMismatch(byId('tiny-cnn').build(digits), iris)).toBe(
      'This model takes 28×28×1 images, but the data is rows of 4 values: use the MLP for tables',
    )
    expect(inputMismatch(byId('mlp').build({ ...iris, inputShape: [6] }), iris)).toBe(
      'This model takes 6 values per row, but the data has 4',
    )
    expect(inputMismatch(byId('tiny-cnn').build(digits), photos)).toBeNull()
    expect(modelProblem(toSpec(byId('mlp').build(iris)), digits)).toBe(
      'This model takes rows of 4 values, but the data is 28×28×1 images',
    )
    expect(modelProblem(toSpec(byId('tiny-cnn').build(digits)), digits)).toBeNull()
  })

  it('counts as unsaved work only a stack that is neither a template as built nor a saved model', () => {
    const built = byId('tiny-cnn').build(digits)
    expect(hasUnsavedWork(built, digits, [])).toBe(false)
    const edited = perform(built, { name: 'addLayer', type: 'Dropout', index: 5 })
    expect(hasUnsavedWork(edited, digits, [])).toBe(true)
    expect(hasUnsavedWork(edited, digits, [{ spec: toSpec(edited) }])).toBe(false)
  })
})
