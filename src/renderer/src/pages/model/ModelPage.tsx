/**
 * The Model page: a palette of layers, the stack (drag from the palette, drag to reorder, or the same by
 * keyboard), live output shapes and parameter counts, the error placed at the layer that cannot follow,
 * templates, saved architectures and undo/redo.
 */
import {
  closestCenter,
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  pointerWithin,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type CollisionDetection,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
} from '@dnd-kit/core'
import {
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
  verticalListSortingStrategy,
} from '@dnd-kit/sortable'
import { CSS } from '@dnd-kit/utilities'
import { useCallback, useEffect, useMemo, useState } from 'react'
import { backbones, type BackboneId } from '../../../../shared/model/backbones'
import { formatBytes, memoryRefusal, trainingMemoryBytes, type MemoryLimit } from '../../../../shared/model/memory'
import type { Architecture, DatasetSummary, Project, ProjectDrafts } from '../../../../shared/contract'
import type { LayerAnalysis } from '../../../../shared/model/registry'
import { formatShape, type LayerType } from '../../../../shared/model/types'
import { api } from '../../api'
import { cachedDrafts, loadDrafts, saveDraft } from '../../drafts'
import { ImportDataFirst } from '../EmptyStates'
import { LayerSettings } from './LayerSettings'
import { SavedModels } from './SavedModels'
import {
  addPosition,
  analyze,
  draftFromSaved,
  hasUnsavedWork,
  inputMismatch,
  targetOf,
  templateProblem,
  apply,
  describeChange,
  itemsFrom,
  outputMismatch,
  paletteGroups,
  perform,
  purposeOf,
  quickFix,
  redo,
  suggestedTemplate,
  withOutputLayer,
  templates,
  toSpec,
  newHistory,
  undo,
  type History,
  type StackAction,
  type StackItem,
  type Target,
  type Template,
} from './stack-state'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { messageOf } from '../../../../shared/messages'

/** A drop goes where the pointer is (the dragged card is wide and overlaps several rows); else the nearest row. */
const dropTarget: CollisionDetection = (args) => {
  const within = pointerWithin(args)
  return within.length > 0 ? within : closestCenter(args)
}

interface Props {
  project: Project
  onError: (err: unknown) => void
  onMessage: (m: string) => void
  onTrain: () => void
}

export function ModelPage({ project, onError, onMessage, onTrain }: Props): React.JSX.Element {
  const [dataset, setDataset] = useState<DatasetSummary | null | undefined>(undefined)
  const [history, setHistory] = useState<History | null>(null)
  const [selected, setSelected] = useState<string | null>(null)
  const [saved, setSaved] = useState<Architecture[]>([])
  const [memoryBatch, setMemoryBatch] = useState(32)
  const [memoryLimit, setMemoryLimit] = useState<MemoryLimit | null>(null)
  const [name, setName] = useState('My model')
  const [managing, setManaging] = useState(false)
  const [replacing, setReplacing] = useState<Template | null>(null)
  // What the last edit did, for screen readers (a visually hidden live region).
  const [announcement, setAnnouncement] = useState('')
  // Where a layer dragged from the palette would land: the row it goes before, or the end of the stack.
  const [landing, setLanding] = useState<{ overId: string; type: LayerType } | null>(null)
  // The palette layer being dragged: a copy of its card follows the pointer (the palette clips its own).
  const [picked, setPicked] = useState<LayerType | null>(null)

  useEffect(() => {
    api.call('app.getInfo', {}).then((info) => setMemoryLimit(info.trainingMemory), onError)
  }, [onError])

  useEffect(() => {
    api.call('datasets.get', { projectId: project.id }).then(setDataset, onError)
    api.call('architectures.list', { projectId: project.id }).then(setSaved, onError)
  }, [project.id, onError])

  const target: Target | null = useMemo(() => (dataset ? targetOf(dataset) : null), [dataset])

  // The draft the core keeps for this project (undefined while it loads, null when there is none).
  const [kept, setKept] = useState<ProjectDrafts['model'] | undefined>(() => cachedDrafts(project.id)?.model)
  useEffect(() => {
    loadDrafts(project.id).then((d) => setKept(d.model), onError)
  }, [project.id, onError])

  // Start from the kept draft, or the template that suits the data.
  useEffect(() => {
    if (!target || history || kept === undefined) return
    const start = draftFromSaved(kept) ?? suggestedTemplate(target).build(target)
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the first draft needs the dataset and the kept draft, which arrive later
    if (kept?.name) setName(kept.name)
    setHistory(newHistory(start))
  }, [target, history, kept])

  useEffect(() => {
    if (history) saveDraft(project.id, { model: { name, spec: toSpec(history.present) } })
  }, [history, name, project.id])

  const act = useCallback(
    (a: StackAction): string | null => {
      if (!history) return null
      let next: ReturnType<typeof perform>
      try {
        next = perform(history.present, a)
      } catch (err) {
        return messageOf(err)
      }
      setHistory((h) => (h ? apply(h, a) : h))
      const said = describeChange(history.present, next, a)
      if (said) setAnnouncement(said)
      return null
    },
    [history],
  )

  // Undo and redo say what they undid ("Undid Add Dropout"), like the edits themselves.
  const step = useCallback(
    (way: 'undo' | 'redo'): void => {
      const h = history
      const name = h ? (way === 'undo' ? h.pastNames.at(-1) : h.futureNames[0]) : undefined
      if (!h || name === undefined) return
      setHistory(way === 'undo' ? undo(h) : redo(h))
      setAnnouncement(`${way === 'undo' ? 'Undid' : 'Redid'} ${name}`)
    },
    [history],
  )

  // Undo and redo for stack edits; capture phase, so the app-wide Ctrl+Z does not also act.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement
      if (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA') return
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
        e.preventDefault()
        e.stopImmediatePropagation()
        step(e.shiftKey ? 'redo' : 'undo')
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'y') {
        e.preventDefault()
        e.stopImmediatePropagation()
        step('redo')
      }
    }
    window.addEventListener('keydown', onKey, { capture: true })
    return () => window.removeEventListener('keydown', onKey, { capture: true })
  }, [step])

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  )

  if (dataset === undefined || (dataset && !history)) {
    return (
      <section className="page" data-testid="page-model">
        <p className="muted">Loading…</p>
      </section>
    )
  }
  if (dataset === null || !history || !target) {
    return (
      <ImportDataFirst
        title="Model"
        testId="page-model"
        text="The model’s input and output follow the data, so import some on the Data page first."
      />
    )
  }

  const draft = history.present
  const analysis = analyze(draft)
  const fix = quickFix(draft, analysis)
  const wrongInput = inputMismatch(draft, target)
  const mismatch = analysis.firstError || wrongInput ? null : outputMismatch(draft, analysis, target)
  const selectedIndex = draft.items.findIndex((i) => i.id === selected)
  const selectedItem = selectedIndex >= 0 ? draft.items[selectedIndex]! : null
  const tooBig = analysis.firstError || !memoryLimit ? null : memoryRefusal(toSpec(draft), memoryBatch, memoryLimit)
  const blocked = analysis.firstError !== null || wrongInput !== null || mismatch !== null || tooBig !== null
  const suggested = suggestedTemplate(target)

  /** A template replaces the whole stack: ask first when that would lose work (undo brings it back either way). */
  function chooseTemplate(t: Template): void {
    if (hasUnsavedWork(draft, target!, saved)) setReplacing(t)
    else act({ name: 'replaceAll', draft: t.build(target!) })
  }

  function onDragStart(e: DragStartEvent): void {
    const id = String(e.active.id)
    setPicked(id.startsWith('palette:') ? (id.slice('palette:'.length) as LayerType) : null)
  }

  function onDragOver(e: DragOverEvent): void {
    const id = String(e.active.id)
    setLanding(
      id.startsWith('palette:') && e.over
        ? { overId: String(e.over.id), type: id.slice('palette:'.length) as LayerType }
        : null,
    )
  }

  function onDragEnd(e: DragEndEvent): void {
    setLanding(null)
    setPicked(null)
    const id = String(e.active.id)
    const overId = e.over ? String(e.over.id) : null
    if (id.startsWith('palette:')) {
      if (!overId) return
      const type = id.slice('palette:'.length) as LayerType
      const at = overId === 'stack-end' ? draft.items.length : draft.items.findIndex((i) => i.id === overId)
      act({ name: 'addLayer', type, index: at < 0 ? draft.items.length : at })
      return
    }
    if (overId && overId !== id && overId !== 'stack-end')
      act({ name: 'moveLayer', id, to: draft.items.findIndex((i) => i.id === overId) })
  }

  async function save(): Promise<void> {
    try {
      const a = await api.call('architectures.save', { projectId: project.id, name, spec: toSpec(draft) })
      setSaved(await api.call('architectures.list', { projectId: project.id }))
      onMessage(`Saved “${a.name}”, version ${a.version}`)
    } catch (err) {
      onError(err)
    }
  }

  return (
    <section className="page model-page" data-testid="page-model">
      <p className="sr-only" role="status" data-testid="stack-announcement">
        {announcement}
      </p>
      <header className="page-header row-between">
        <div>
          <h1>Model</h1>
          <p className="muted">
            in {project.name} · {target.kind === 'image' ? 'images' : 'table'},{' '}
            {target.task === 'regression' ? 'predicts a number' : `${target.classes} classes`}
          </p>
        </div>
        <div className="row">
          <button
            className="button"
            onClick={() => step('undo')}
            disabled={history.past.length === 0}
            title={history.past.length ? `Undo ${history.pastNames.at(-1)} (Ctrl+Z)` : 'Nothing to undo'}
            data-testid="stack-undo"
          >
            Undo
          </button>
          <button
            className="button"
            onClick={() => step('redo')}
            disabled={history.future.length === 0}
            title={history.future.length ? `Redo ${history.futureNames[0]} (Ctrl+Shift+Z)` : 'Nothing to redo'}
            data-testid="stack-redo"
          >
            Redo
          </button>
          <button
            className="button primary"
            disabled={blocked}
            onClick={onTrain}
            title={blocked ? 'Fix the model first' : 'Train this model'}
            data-testid="train-this-model"
          >
            Train this model →
          </button>
        </div>
      </header>

      <div className="model-toolbar row">
        <label>
          Start from{' '}
          <select
            value=""
            data-testid="template-select"
            onChange={(e) => {
              const t = templates.find((x) => x.id === e.target.value)
              if (t) chooseTemplate(t)
            }}
          >
            <option value="">a template…</option>
            {templates.map((t) => {
              const problem = templateProblem(t, target)
              return (
                <option key={t.id} value={t.id} title={problem?.detail ?? t.description} disabled={problem !== null}>
                  {t.name}
                  {problem ? ` — ${problem.summary}` : t.id === suggested.id ? ' (suggested for this data)' : ''}
                </option>
              )
            })}
          </select>
        </label>
        {saved.length > 0 && (
          <label>
            Open{' '}
            <select
              value=""
              onChange={(e) => {
                const a = saved.find((x) => x.id === e.target.value)
                if (!a) return
                setName(a.name)
                act({
                  name: 'replaceAll',
                  draft: { inputShape: a.spec.inputShape as number[], items: itemsFrom(a.spec.layers) },
                })
              }}
            >
              <option value="">a saved model…</option>
              {saved.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} v{a.version}
                </option>
              ))}
            </select>
          </label>
        )}
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="Model name"
          maxLength={120}
          data-testid="model-name"
        />
        <button
          className="button"
          onClick={() => void save()}
          disabled={analysis.firstError !== null || !name.trim()}
          data-testid="model-save"
        >
          Save
        </button>
        <button className="button link" onClick={() => setManaging(true)} data-testid="manage-saved">
          Saved models…
        </button>
      </div>
      {managing && (
        <SavedModels
          projectId={project.id}
          saved={saved}
          onError={onError}
          onClose={() => setManaging(false)}
          onChanged={() => void api.call('architectures.list', { projectId: project.id }).then(setSaved, onError)}
          onOpen={(a) => {
            setName(a.name)
            act({
              name: 'replaceAll',
              draft: { inputShape: a.spec.inputShape as number[], items: itemsFrom(a.spec.layers) },
            })
            setManaging(false)
          }}
        />
      )}

      <DndContext
        sensors={sensors}
        collisionDetection={dropTarget}
        onDragStart={onDragStart}
        onDragOver={onDragOver}
        onDragEnd={onDragEnd}
        onDragCancel={() => {
          setLanding(null)
          setPicked(null)
        }}
      >
        <div className="model-layout">
          <aside className="panel palette" aria-label="Layers">
            <h2>Layers</h2>
            <p className="muted small">Drag into the stack, or press +.</p>
            {/* A backbone takes images: a table project's palette has no Pretrained group. */}
            {paletteGroups
              .filter((g) => g.group !== 'pretrained' || target.kind === 'image')
              .map((g) => (
                <div key={g.group} className="palette-group">
                  <h3>{g.label}</h3>
                  {g.types.map((t) => (
                    <PaletteItem
                      key={t}
                      type={t}
                      onAdd={() => act({ name: 'addLayer', type: t, index: addPosition(draft, selectedIndex) })}
                    />
                  ))}
                </div>
              ))}
          </aside>

          <div className="stack" data-testid="stack">
            <InputShapeRow
              shape={draft.inputShape}
              suggested={target.inputShape}
              backbone={
                draft.items[0]?.layer.type === 'Pretrained'
                  ? backbones[draft.items[0].layer.config.backbone].label
                  : null
              }
              onChange={(shape) => act({ name: 'setInputShape', shape })}
            />
            <SortableContext items={draft.items.map((i) => i.id)} strategy={verticalListSortingStrategy}>
              <ol className="stack-list">
                {draft.items.map((item, i) => (
                  <StackRow
                    key={item.id}
                    item={item}
                    index={i}
                    count={draft.items.length}
                    analysis={analysis.layers[i]!}
                    selected={item.id === selected}
                    onSelect={() => setSelected(item.id)}
                    act={act}
                    fix={analysis.firstError?.index === i ? fix : null}
                    landing={landing?.overId === item.id ? landing.type : null}
                  />
                ))}
              </ol>
            </SortableContext>
            <StackEnd
              landing={landing?.overId === 'stack-end' ? landing.type : null}
              afterOutput={draft.items.length > 1 && draft.items.at(-1)!.layer.type === 'Dense'}
            />
            {wrongInput && (
              <div className="stack-warning" role="alert" data-testid="input-mismatch">
                {wrongInput}.{' '}
                <button className="button link" onClick={() => chooseTemplate(suggested)} data-testid="fix-input">
                  Start from {suggested.name}
                </button>
              </div>
            )}
            {mismatch && (
              <div className="stack-warning" role="alert" data-testid="output-mismatch">
                {mismatch}.{' '}
                <button
                  className="button link"
                  onClick={() => act({ name: 'replaceAll', draft: withOutputLayer(draft, target) })}
                  data-testid="fix-output"
                >
                  Make the last layer fit the data
                </button>
              </div>
            )}
            <footer className="stack-footer" data-testid="stack-footer">
              <span>
                <strong data-testid="total-params">{analysis.totalParams.toLocaleString()}</strong> parameters
              </span>
              <span>{analysis.trainableParams.toLocaleString()} trainable</span>
              <span title="Weights, gradients and optimizer state, plus the activations kept for the backward pass">
                ≈{' '}
                <span data-testid="training-memory">
                  {formatBytes(trainingMemoryBytes(toSpec(draft), analysis, memoryBatch))}
                </span>{' '}
                to train with batch{' '}
                <select
                  className="inline-select"
                  aria-label="Batch size for the memory estimate"
                  value={memoryBatch}
                  onChange={(e) => setMemoryBatch(Number(e.target.value))}
                  data-testid="memory-batch"
                >
                  {[8, 16, 32, 64, 128, 256].map((b) => (
                    <option key={b} value={b}>
                      {b}
                    </option>
                  ))}
                </select>
              </span>
              {blocked && !tooBig && <span className="field-error">Fix the model to train it</span>}
            </footer>
            {tooBig && (
              <div className="stack-warning" role="alert" data-testid="memory-refusal">
                {tooBig}
              </div>
            )}
          </div>

          <aside className="panel settings-panel" aria-label="Settings">
            {selectedItem ? (
              <LayerSettings
                layer={selectedItem.layer}
                index={selectedIndex}
                onChange={(patch) => act({ name: 'updateLayer', id: selectedItem.id, config: patch })}
              />
            ) : (
              <p className="muted">Select a layer to change its settings.</p>
            )}
          </aside>
        </div>
        <DragOverlay dropAnimation={null}>
          {picked && (
            <div className="palette-item dragging">
              <PaletteCard type={picked} />
            </div>
          )}
        </DragOverlay>
      </DndContext>
      {replacing && (
        <ConfirmDialog
          title={`Replace your model with “${replacing.name}”?`}
          body={
            <p>
              {draft.items.length === 1
                ? 'The 1 layer you have now is'
                : `The ${draft.items.length} layers you have now are`}{' '}
              not saved as a model. Save them first with “Save”, or replace them (Undo brings them back).
            </p>
          }
          confirmLabel="Replace"
          onConfirm={async () => {
            act({ name: 'replaceAll', draft: replacing.build(target) })
          }}
          onClose={() => setReplacing(null)}
        />
      )}
    </section>
  )
}

function PaletteItem({ type, onAdd }: { type: LayerType; onAdd: () => void }): React.JSX.Element {
  // Dragged with the pointer only: the + button is the keyboard's way in (a focusable drag handle around a
  // button would nest one control in another, and Enter on + would start a keyboard drag instead of adding).
  // The card stays put while a copy of it (the drag overlay) follows the pointer.
  const { listeners, setNodeRef, isDragging } = useDraggable({ id: `palette:${type}` })
  const { onKeyDown: _keyboardDrag, ...pointer } = listeners ?? {}
  return (
    <div
      ref={setNodeRef}
      className={isDragging ? 'palette-item picked' : 'palette-item'}
      data-testid={`palette-${type}`}
      {...pointer}
    >
      <PaletteCard type={type} />
      <button
        className="button icon"
        onPointerDown={(e) => e.stopPropagation()}
        onClick={onAdd}
        aria-label={`Add ${type}`}
        title={`Add ${type}`}
        data-testid={`add-${type}`}
      >
        +
      </button>
    </div>
  )
}

/** A palette card's words: the layer's name and what it is for. */
function PaletteCard({ type }: { type: LayerType }): React.JSX.Element {
  return (
    <div>
      <strong>{type}</strong>
      <p className="muted small">{purposeOf(type)}</p>
    </div>
  )
}

/** The drop zone after the last layer; while a palette layer is over it, it says what landing there means. */
function StackEnd({ landing, afterOutput }: { landing: LayerType | null; afterOutput: boolean }): React.JSX.Element {
  const { setNodeRef, isOver } = useDroppable({ id: 'stack-end' })
  return (
    <div ref={setNodeRef} className={isOver ? 'stack-end over' : 'stack-end'} data-testid="stack-end">
      {landing
        ? `${landing} goes at the end${afterOutput ? ', after the output layer' : ''}`
        : 'Drop a layer here to add it at the end'}
    </div>
  )
}

function InputShapeRow({
  shape,
  suggested,
  backbone,
  onChange,
}: {
  shape: number[]
  suggested: number[] | null
  backbone: string | null
  onChange: (s: number[]) => void
}): React.JSX.Element {
  const names = shape.length === 3 ? ['height', 'width', 'channels'] : ['features']
  return (
    <div className="stack-input" data-testid="input-shape">
      <strong>Input</strong>
      {shape.map((d, i) => (
        <label key={i} className="small">
          {names[i]}{' '}
          <input
            type="number"
            min={1}
            value={d}
            onChange={(e) =>
              onChange(shape.map((v, j) => (j === i ? Math.max(1, Math.floor(Number(e.target.value) || 1)) : v)))
            }
          />
        </label>
      ))}
      {backbone && (
        <span className="muted small" data-testid="input-backbone-note">
          every image is resized to {shape.join('×')} for {backbone}
        </span>
      )}
      {!backbone && suggested && formatShape(suggested) !== formatShape(shape) && (
        <button className="button link" onClick={() => onChange(suggested)}>
          Use the data’s shape {formatShape(suggested)}
        </button>
      )}
    </div>
  )
}

interface RowProps {
  item: StackItem
  index: number
  count: number
  analysis: LayerAnalysis
  selected: boolean
  onSelect: () => void
  act: (a: StackAction) => string | null
  fix: { label: string; action: StackAction } | null
  /** A layer being dragged from the palette that would land just before this row. */
  landing: LayerType | null
}

function summary(item: StackItem): string {
  const c = item.layer.config as Record<string, unknown>
  switch (item.layer.type) {
    case 'Conv2D':
      return `${String(c.filters)} filters ${(c.kernelSize as number[]).join('×')}, ${String(c.activation)}`
    case 'Dense':
      return `${String(c.units)} units, ${String(c.activation)}`
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return `${(c.poolSize as number[]).join('×')}`
    case 'Dropout':
      return `rate ${String(c.rate)}`
    case 'Activation':
      return String(c.activation)
    case 'Rescaling':
      return `× ${Number(c.scale).toPrecision(3)}`
    case 'Pretrained': {
      const blocks = Number(c.trainableBlocks)
      return `${backbones[c.backbone as BackboneId].label}, ${blocks === 0 ? 'frozen' : `last ${blocks} block${blocks === 1 ? '' : 's'} fine-tuned`}`
    }
    default:
      return ''
  }
}

function StackRow({
  item,
  index,
  count,
  analysis,
  selected,
  onSelect,
  act,
  fix,
  landing,
}: RowProps): React.JSX.Element {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: item.id })
  const onKeyDown = (e: React.KeyboardEvent): void => {
    if (e.altKey && e.key === 'ArrowUp') act({ name: 'moveLayer', id: item.id, to: index - 1 })
    else if (e.altKey && e.key === 'ArrowDown') act({ name: 'moveLayer', id: item.id, to: index + 1 })
    else if (e.key === 'Delete') act({ name: 'removeLayer', id: item.id })
    else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'd') act({ name: 'duplicateLayer', id: item.id })
    else if (e.key === 'Enter') onSelect()
    else return
    e.preventDefault()
  }
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Transform.toString(transform), transition, opacity: isDragging ? 0.6 : 1 }}
      className={[
        'stack-row',
        selected ? 'selected' : '',
        analysis.error ? 'has-error' : '',
        landing ? 'landing' : '',
      ].join(' ')}
      onClick={onSelect}
      data-testid="stack-row"
      data-type={item.layer.type}
      {...attributes}
      {...listeners}
      // After the spread: a list item (not a button: it holds buttons), whose own keys (Alt+↑/↓, Delete, Ctrl+D,
      // Enter) come first and leave the rest (Space) to the keyboard drag.
      role="listitem"
      aria-roledescription="layer"
      onKeyDown={(e) => {
        onKeyDown(e)
        if (!e.defaultPrevented) listeners?.onKeyDown?.(e)
      }}
      tabIndex={0}
      aria-label={`Layer ${index + 1}: ${item.layer.type}`}
    >
      {landing && (
        <span className="drop-marker" aria-hidden="true">
          <span className="drop-label" data-testid="drop-marker">
            {landing} goes here, {index === 0 ? 'first' : `after layer ${index}`}
          </span>
        </span>
      )}
      <span className="stack-index">{index + 1}</span>
      <span className="stack-name">
        <span className="stack-type">{item.layer.type}</span>
        <span className="stack-summary muted small">{summary(item)}</span>
      </span>
      <span className="stack-dims">
        <span className="stack-shape" data-testid="layer-shape">
          {analysis.outputShape ? formatShape(analysis.outputShape) : '—'}
        </span>
        <span className="stack-params small" data-testid="layer-params">
          {analysis.params
            ? `${(analysis.params.trainable + analysis.params.nonTrainable).toLocaleString()} params`
            : ''}
        </span>
      </span>
      <span className="stack-actions" onPointerDown={(e) => e.stopPropagation()}>
        <button
          className="button icon"
          aria-label="Move up"
          title="Move up (Alt+↑)"
          disabled={index === 0}
          onClick={() => act({ name: 'moveLayer', id: item.id, to: index - 1 })}
        >
          ↑
        </button>
        <button
          className="button icon"
          aria-label="Move down"
          title="Move down (Alt+↓)"
          disabled={index === count - 1}
          onClick={() => act({ name: 'moveLayer', id: item.id, to: index + 1 })}
        >
          ↓
        </button>
        <button
          className="button icon small-text"
          aria-label="Duplicate"
          title="Duplicate (Ctrl+D)"
          onClick={() => act({ name: 'duplicateLayer', id: item.id })}
        >
          copy
        </button>
        <button
          className="button icon"
          aria-label="Delete layer"
          title="Delete (Del)"
          onClick={() => act({ name: 'removeLayer', id: item.id })}
          data-testid="remove-layer"
        >
          ×
        </button>
      </span>
      {analysis.error && (
        <div className="stack-error" role="alert" data-testid="layer-error">
          {analysis.error}
          {fix && (
            <button className="button link" onClick={() => act(fix.action)} data-testid="quick-fix">
              {fix.label}
            </button>
          )}
        </div>
      )}
    </li>
  )
}
