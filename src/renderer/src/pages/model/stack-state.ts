/**
 * The stacker's state and its named actions, kept free of React so they are tested directly. Every edit
 * goes through `apply`, which records history for undo and redo.
 */
import { backbones } from '../../../../shared/model/backbones'
import {
  analyzeStack,
  layerRegistry,
  layerTypes,
  normalizeLayer,
  outputActivationProblem,
  outputUnitsProblem,
  type StackAnalysis,
} from '../../../../shared/model/registry'
import type { LayerGroup, LayerSpec, LayerType, ModelSpec } from '../../../../shared/model/types'

export interface StackItem {
  /** Stable id for drag and drop and selection; not saved. */
  id: string
  layer: LayerSpec
}

export interface Draft {
  inputShape: number[]
  items: StackItem[]
}

export interface History {
  past: Draft[]
  present: Draft
  future: Draft[]
  /** The name of each edit: pastNames[i] made past[i] into the next draft; futureNames[i] makes future[i]. */
  pastNames: string[]
  futureNames: string[]
}

export function newHistory(present: Draft): History {
  return { past: [], present, future: [], pastNames: [], futureNames: [] }
}

let nextId = 1
export const newId = (): string => `layer-${nextId++}`

export function itemsFrom(layers: readonly LayerSpec[]): StackItem[] {
  return layers.map((layer) => ({ id: newId(), layer }))
}

export function toSpec(d: Draft): ModelSpec {
  return { inputShape: d.inputShape, layers: d.items.map((i) => i.layer) }
}

export function analyze(d: Draft): StackAnalysis {
  return analyzeStack(toSpec(d))
}

export type StackAction =
  | { name: 'addLayer'; type: LayerType; index?: number }
  | { name: 'removeLayer'; id: string }
  | { name: 'duplicateLayer'; id: string }
  | { name: 'moveLayer'; id: string; to: number }
  | { name: 'updateLayer'; id: string; config: Record<string, unknown> }
  | { name: 'setInputShape'; shape: number[] }
  | { name: 'replaceAll'; draft: Draft }
  | { name: 'insertFlatten'; before: string }

/**
 * What an edit did, in words for a screen reader ("Dropout added after layer 3"); layers are numbered from 1
 * as on screen. Null for a settings change: the field being typed in already says what it is.
 */
export function describeChange(before: Draft, after: Draft, a: StackAction): string | null {
  const at = (d: Draft, id: string): number => d.items.findIndex((i) => i.id === id)
  const added = (): { type: string; index: number } | null => {
    const known = new Set(before.items.map((i) => i.id))
    const index = after.items.findIndex((i) => !known.has(i.id))
    return index < 0 ? null : { type: after.items[index]!.layer.type, index }
  }
  const placed = (index: number): string => (index === 0 ? 'as the first layer' : `after layer ${index}`)
  switch (a.name) {
    case 'addLayer': {
      const n = added()
      return n ? `${n.type} added ${placed(n.index)}` : null
    }
    case 'removeLayer': {
      const i = at(before, a.id)
      return i < 0 ? null : `Layer ${i + 1}, ${before.items[i]!.layer.type}, removed; ${after.items.length} layers left`
    }
    case 'duplicateLayer': {
      const n = added()
      return n ? `${n.type} copied ${placed(n.index)}` : null
    }
    case 'moveLayer': {
      const from = at(before, a.id)
      const to = at(after, a.id)
      if (from < 0 || from === to) return null
      return `${after.items[to]!.layer.type} moved from layer ${from + 1} to layer ${to + 1}`
    }
    case 'insertFlatten': {
      const n = added()
      if (n) return `Flatten inserted ${placed(n.index)}`
      const moved = after.items.findIndex((i) => i.layer.type === 'Flatten')
      return `Flatten moved to layer ${moved + 1}`
    }
    case 'setInputShape':
      return `Input set to ${shapeText(a.shape)}`
    case 'replaceAll':
      return `Stack replaced: ${after.items.length} layers`
    case 'updateLayer':
      return null
  }
}

/** Applies an action to a draft; throws (with the layer's own message) for a config it refuses. */
export function perform(d: Draft, a: StackAction): Draft {
  const index = (id: string): number => d.items.findIndex((i) => i.id === id)
  switch (a.name) {
    case 'addLayer': {
      const item = { id: newId(), layer: normalizeLayer({ type: a.type, config: {} }) }
      if (item.layer.type === 'Pretrained') {
        // A backbone only works first, on the input it was trained on: put it there and size the input for it.
        const others = d.items.filter((i) => i.layer.type !== 'Pretrained')
        return { inputShape: [...backbones[item.layer.config.backbone].inputShape], items: [item, ...others] }
      }
      const at = a.index ?? d.items.length
      return { ...d, items: [...d.items.slice(0, at), item, ...d.items.slice(at)] }
    }
    case 'removeLayer':
      return { ...d, items: d.items.filter((i) => i.id !== a.id) }
    case 'duplicateLayer': {
      const i = index(a.id)
      if (i < 0) return d
      const copy = { id: newId(), layer: structuredClone(d.items[i]!.layer) }
      return { ...d, items: [...d.items.slice(0, i + 1), copy, ...d.items.slice(i + 1)] }
    }
    case 'moveLayer': {
      const i = index(a.id)
      if (i < 0) return d
      const to = Math.max(0, Math.min(d.items.length - 1, a.to))
      const items = [...d.items]
      const [moved] = items.splice(i, 1)
      items.splice(to, 0, moved!)
      return { ...d, items }
    }
    case 'updateLayer': {
      const i = index(a.id)
      if (i < 0) return d
      const item = d.items[i]!
      const layer = normalizeLayer({ type: item.layer.type, config: { ...item.layer.config, ...a.config } })
      return { ...d, items: d.items.map((x, j) => (j === i ? { ...x, layer } : x)) }
    }
    case 'setInputShape':
      return { ...d, inputShape: a.shape }
    case 'replaceAll':
      return a.draft
    case 'insertFlatten': {
      const i = index(a.before)
      if (i < 0) return d
      // A Flatten further down moves up here: a second one would only raise the same error later.
      const later = d.items.findIndex((x, j) => j > i && x.layer.type === 'Flatten')
      const item =
        later >= 0 ? d.items[later]! : { id: newId(), layer: normalizeLayer({ type: 'Flatten', config: {} }) }
      const rest = d.items.filter((_, j) => j !== later)
      return { ...d, items: [...rest.slice(0, i), item, ...rest.slice(i)] }
    }
  }
}

/**
 * Where "+" on a palette layer puts it: after the selected layer, else at the end — but never after the
 * output layer (the last Dense of a stack that has more than one layer), which stays last.
 */
export function addPosition(d: Draft, selectedIndex: number): number {
  const last = d.items.length - 1
  const outputLast = last >= 0 && d.items[last]!.layer.type === 'Dense'
  if (selectedIndex >= 0 && selectedIndex < last) return selectedIndex + 1
  return outputLast ? last : d.items.length
}

/** What an action is called in the Undo and Redo buttons ("Remove Flatten"). */
export function actionName(d: Draft, a: StackAction): string {
  const type = 'id' in a ? (d.items.find((i) => i.id === a.id)?.layer.type ?? 'layer') : ''
  switch (a.name) {
    case 'addLayer':
      return `Add ${a.type}`
    case 'removeLayer':
      return `Remove ${type}`
    case 'duplicateLayer':
      return `Duplicate ${type}`
    case 'moveLayer':
      return `Move ${type}`
    case 'updateLayer':
      return `Change ${type} settings`
    case 'setInputShape':
      return 'Change input shape'
    case 'replaceAll':
      return 'Replace the stack'
    case 'insertFlatten':
      return 'Insert Flatten'
  }
}

export function apply(h: History, a: StackAction): History {
  const next = perform(h.present, a)
  if (next === h.present) return h
  return {
    past: [...h.past.slice(-99), h.present],
    pastNames: [...h.pastNames.slice(-99), actionName(h.present, a)],
    present: next,
    future: [],
    futureNames: [],
  }
}

export function undo(h: History): History {
  const prev = h.past.at(-1)
  if (!prev) return h
  return {
    past: h.past.slice(0, -1),
    pastNames: h.pastNames.slice(0, -1),
    present: prev,
    future: [h.present, ...h.future],
    futureNames: [h.pastNames.at(-1)!, ...h.futureNames],
  }
}

export function redo(h: History): History {
  const next = h.future[0]
  if (!next) return h
  return {
    past: [...h.past, h.present],
    pastNames: [...h.pastNames, h.futureNames[0]!],
    present: next,
    future: h.future.slice(1),
    futureNames: h.futureNames.slice(1),
  }
}

/** An obvious one-click fix for the first error, where there is one. */
export function quickFix(d: Draft, analysis: StackAnalysis): { label: string; action: StackAction } | null {
  const err = analysis.firstError
  if (!err || err.index < 0) return null
  const item = d.items[err.index]!
  if (/add a Flatten/.test(err.message))
    return { label: 'Insert Flatten before it', action: { name: 'insertFlatten', before: item.id } }
  return null
}

export interface Target {
  kind: 'image' | 'table'
  task: 'classification' | 'regression'
  classes: number
  inputShape: number[] | null
}

/** What a dataset asks of a model (only classes that have examples count). */
export function targetOf(d: {
  kind: Target['kind']
  task: Target['task']
  classes: Array<{ count: number }>
  suggestedInputShape: number[] | null
}): Target {
  return {
    kind: d.kind,
    task: d.task,
    classes: d.classes.filter((c) => c.count > 0).length,
    inputShape: d.suggestedInputShape,
  }
}

/** A draft kept by the core (`projects.getDrafts`), or null when there is none or it is not a model. */
export function draftFromSaved(saved: { spec: unknown } | null | undefined): Draft | null {
  const spec = saved?.spec as { inputShape?: unknown; layers?: unknown } | undefined
  if (
    !spec ||
    !Array.isArray(spec.inputShape) ||
    !spec.inputShape.every((n) => typeof n === 'number') ||
    !Array.isArray(spec.layers)
  )
    return null
  if (
    !spec.layers.every(
      (l: unknown) => typeof l === 'object' && l !== null && typeof (l as { type?: unknown }).type === 'string',
    )
  )
    return null
  return { inputShape: spec.inputShape as number[], items: itemsFrom(spec.layers as LayerSpec[]) }
}

/** The output layer the data asks for: softmax over the classes, one sigmoid unit for two, linear for a number. */
export function outputLayerFor(t: Target): LayerSpec {
  if (t.task === 'regression') return normalizeLayer({ type: 'Dense', config: { units: 1, activation: 'linear' } })
  if (t.classes === 2) return normalizeLayer({ type: 'Dense', config: { units: 1, activation: 'sigmoid' } })
  return normalizeLayer({ type: 'Dense', config: { units: Math.max(t.classes, 2), activation: 'softmax' } })
}

/** Whether the last layer already fits the data (what training checks too). */
export function outputMismatch(d: Draft, analysis: StackAnalysis, t: Target): string | null {
  const units = analysis.outputShape?.at(-1)
  if (units === undefined || analysis.outputShape!.length !== 1) return null
  return outputUnitsProblem(units, t.task, t.classes) ?? outputActivationProblem(toSpec(d), t.task, t.classes)
}

/** The draft with an output layer that fits the data: the last Dense is replaced; after any other layer (a backbone, a Flatten) one is added. */
export function withOutputLayer(d: Draft, t: Target): Draft {
  const keep = d.items.at(-1)?.layer.type === 'Dense' ? d.items.slice(0, -1) : d.items
  return { ...d, items: [...keep, ...itemsFrom([outputLayerFor(t)])] }
}

const L = (type: LayerType, config: Record<string, unknown> = {}): LayerSpec => normalizeLayer({ type, config })

export interface Template {
  id: 'pretrained' | 'small-cnn' | 'tiny-cnn' | 'mlp' | 'blank'
  name: string
  description: string
  /** The kind of data it is for; a blank stack suits both. */
  for: Target['kind'] | 'any'
  /** The stack, with its input sized for the data (a pretrained backbone keeps the input it was trained on). */
  build(t: Target): Draft
}

export const templates: Template[] = [
  {
    id: 'pretrained',
    name: 'Pretrained MobileNetV2 + classifier',
    for: 'image',
    description:
      'A network trained on millions of photos turns each image into features; a dropout and a dense layer learn your classes. Good from a few hundred photos, in about a minute.',
    build: (t) => ({
      inputShape: [...backbones.mobilenetV2.inputShape],
      items: itemsFrom([
        L('Pretrained', { backbone: 'mobilenetV2', trainableBlocks: 0 }),
        L('Dropout', { rate: 0.2 }),
        outputLayerFor(t),
      ]),
    }),
  },
  {
    id: 'tiny-cnn',
    name: 'Tiny CNN for digits',
    for: 'image',
    description: 'Two small convolution blocks and a dense layer; trains in a minute on 28×28 digits.',
    build: (t) => ({
      inputShape: t.inputShape ?? [28, 28, 1],
      items: itemsFrom([
        L('Conv2D', { filters: 16, kernelSize: 3 }),
        L('MaxPooling2D'),
        L('Conv2D', { filters: 32, kernelSize: 3 }),
        L('MaxPooling2D'),
        L('Flatten'),
        L('Dense', { units: 64 }),
        outputLayerFor(t),
      ]),
    }),
  },
  {
    id: 'small-cnn',
    name: 'Small CNN',
    for: 'image',
    description:
      'The classic Keras example for colour photos (150×150 in the original): four convolution blocks, dropout, dense 512.',
    build: (t) => ({
      inputShape: t.inputShape ?? [150, 150, 3],
      items: itemsFrom([
        L('Rescaling', { scale: 1 }),
        L('Conv2D', { filters: 32 }),
        L('MaxPooling2D'),
        L('Conv2D', { filters: 64 }),
        L('MaxPooling2D'),
        L('Conv2D', { filters: 128 }),
        L('MaxPooling2D'),
        L('Conv2D', { filters: 128 }),
        L('MaxPooling2D'),
        L('Flatten'),
        L('Dropout', { rate: 0.5 }),
        L('Dense', { units: 512 }),
        outputLayerFor(t),
      ]),
    }),
  },
  {
    id: 'mlp',
    name: 'MLP for tables',
    for: 'table',
    description: 'Two dense layers: a solid start for rows of numbers and categories.',
    build: (t) => ({
      inputShape: t.inputShape && t.inputShape.length === 1 ? t.inputShape : [4],
      items: itemsFrom([L('Dense', { units: 64 }), L('Dense', { units: 32 }), outputLayerFor(t)]),
    }),
  },
  {
    id: 'blank',
    name: 'Blank',
    for: 'any',
    description: 'Only the output layer (after a Flatten for images); add layers from the palette.',
    build: (t) => {
      const inputShape = t.inputShape ?? [28, 28, 1]
      return {
        inputShape,
        items: itemsFrom(inputShape.length > 1 ? [L('Flatten'), outputLayerFor(t)] : [outputLayerFor(t)]),
      }
    },
  },
]

const shapeText = (shape: readonly number[]): string => shape.join('×')

/**
 * Why a template cannot be used on this data, in words (null when it can): built for the other kind of
 * data, or its layers do not fit the data's size (four 3×3 convolution blocks need larger images than 28×28).
 */
export function templateProblem(template: Template, t: Target): { summary: string; detail: string } | null {
  if (template.for !== 'any' && template.for !== t.kind) {
    const summary = template.for === 'table' ? 'for tables, not images' : 'for images, not tables'
    return { summary, detail: summary }
  }
  const err = analyze(template.build(t)).firstError
  if (!err) return null
  if (!t.inputShape) return { summary: 'does not fit this data', detail: err.message }
  const summary = `does not fit ${shapeText(t.inputShape)} ${t.kind === 'image' ? 'images' : 'inputs'}`
  return { summary, detail: `${summary}: ${err.message}` }
}

/**
 * Whether the model's input can take the data: a table's rows are a fixed number of values; images are
 * height × width × channels (resized to the input when they differ). Null when it can.
 */
export function inputMismatch(d: Draft, t: Target): string | null {
  const shape = d.inputShape
  if (t.kind === 'table') {
    const want = t.inputShape?.[0]
    if (shape.length !== 1)
      return `This model takes ${shapeText(shape)} images, but the data is rows of ${want ?? 'several'} values: use the MLP for tables`
    if (want !== undefined && shape[0] !== want)
      return `This model takes ${shape[0]} values per row, but the data has ${want}`
    return null
  }
  if (shape.length !== 3)
    return `This model takes rows of ${shape[0]} values, but the data is ${t.inputShape ? `${shapeText(t.inputShape)} ` : ''}images`
  return null
}

/** The first reason a model cannot train on the data (its own error, its input, its output), or null. */
export function modelProblem(spec: ModelSpec, t: Target): string | null {
  const d: Draft = { inputShape: [...spec.inputShape], items: itemsFrom(spec.layers) }
  const analysis = analyze(d)
  if (analysis.firstError)
    return analysis.firstError.index >= 0
      ? `Layer ${analysis.firstError.index + 1}: ${analysis.firstError.message}`
      : analysis.firstError.message
  return inputMismatch(d, t) ?? outputMismatch(d, analysis, t)
}

/** Whether replacing the draft would lose work: it is neither a template as built for this data nor a saved model. */
export function hasUnsavedWork(d: Draft, t: Target, saved: ReadonlyArray<{ spec: ModelSpec }>): boolean {
  const key = JSON.stringify(toSpec(d))
  const same = (spec: ModelSpec): boolean =>
    JSON.stringify({ inputShape: spec.inputShape, layers: spec.layers }) === key
  return !templates.some((x) => same(toSpec(x.build(t)))) && !saved.some((a) => same(a.spec))
}

/** The palette's groups, in order; each lists the registry's layers of that group (their module says which). */
const groupLabels: Record<LayerGroup, string> = {
  pretrained: 'Pretrained',
  preprocess: 'Preprocess',
  convolution: 'Convolution',
  pooling: 'Pooling',
  core: 'Core',
  regularisation: 'Regularisation',
  normalisation: 'Normalisation',
}

export const paletteGroups: Array<{ group: LayerGroup; label: string; types: LayerType[] }> = (
  Object.keys(groupLabels) as LayerGroup[]
).map((group) => ({
  group,
  label: groupLabels[group],
  types: layerTypes.filter((t) => layerRegistry[t].group === group),
}))

export const purposeOf = (t: LayerType): string => layerRegistry[t].purpose

/**
 * The template suggested for a dataset: for photos (colour, or larger than 64 pixels) the pretrained
 * backbone; for small grey images such as digits, which it was not trained on, the tiny CNN; an MLP for tables.
 */
export function suggestedTemplate(t: Target): Template {
  const shape = t.inputShape
  const photo = shape !== null && shape.length === 3 && (shape[2] === 3 || Math.max(shape[0]!, shape[1]!) > 64)
  return templates.find((x) => x.id === (t.kind === 'table' ? 'mlp' : photo ? 'pretrained' : 'tiny-cnn'))!
}
