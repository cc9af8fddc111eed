/**
 * The labeler's grid: a virtualised grid of thumbnails (or rows, for tables) that stays smooth at
 * 50,000 samples, with a keyboard cursor and a selection. Keys: 1–9 label with that class, Backspace
 * clears the label, arrows move, Enter moves on, Escape clears the selection; click, Ctrl+click and
 * Shift+click select.
 */
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useLayoutEffect, useState } from 'react'
import type { ClassInfo, DatasetKind, SampleItem } from '../../../../shared/contract'
import { api } from '../../api'
import { classForKey, keyRange } from '../../class-keys'
import type { SamplePages } from './useSamplePages'

const cellSize = { image: { width: 120, height: 132 }, table: { width: 0, height: 40 } }

interface Props {
  kind: DatasetKind
  pages: SamplePages
  classes: ClassInfo[]
  /** Label these samples; resolves when saved. */
  onLabel: (sampleIds: number[], classId: number | null) => void
  emptyMessage: string
}

export function SampleGrid({ kind, pages, classes, onLabel, emptyMessage }: Props): React.JSX.Element {
  // A state ref, so the size observer follows the element when it mounts after an empty state.
  const [scrollEl, setScrollEl] = useState<HTMLDivElement | null>(null)
  const [width, setWidth] = useState(0)
  const [cursor, setCursor] = useState(0)
  const [selected, setSelected] = useState<Set<number>>(() => new Set())
  const [anchor, setAnchor] = useState<number | null>(null)
  const total = pages.total ?? 0
  const columns = kind === 'image' ? Math.max(1, Math.floor(width / cellSize.image.width)) : 1
  const rowCount = Math.ceil(total / columns)
  const classById = new Map(classes.map((c) => [c.id, c]))

  useLayoutEffect(() => {
    if (!scrollEl) return
    const measure = (): void => setWidth(scrollEl.clientWidth - 16)
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(scrollEl)
    return () => observer.disconnect()
  }, [scrollEl])

  // The virtualizer is not memoised by the React Compiler, which this app does not use.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollEl,
    estimateSize: () => cellSize[kind].height,
    overscan: 4,
  })
  const items = virtualizer.getVirtualItems()
  const firstRow = items[0]?.index ?? 0
  const lastRow = items.at(-1)?.index ?? 0
  useEffect(() => {
    pages.ensure(firstRow * columns, (lastRow + 1) * columns - 1)
  })

  const clampedCursor = Math.min(cursor, Math.max(total - 1, 0))
  useEffect(() => {
    if (total > 0) virtualizer.scrollToIndex(Math.floor(clampedCursor / columns), { align: 'auto' })
  }, [clampedCursor, columns, total, virtualizer])

  function targets(): number[] {
    if (selected.size > 0) return [...selected]
    const s = pages.get(clampedCursor)
    return s ? [s.id] : []
  }

  function label(classId: number | null): void {
    const ids = targets()
    if (ids.length === 0) return
    onLabel(ids, classId)
    if (selected.size === 0) setCursor(Math.min(clampedCursor + 1, total - 1))
    else setSelected(new Set())
  }

  function onKeyDown(e: React.KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return
    const move = (to: number): void => {
      e.preventDefault()
      setCursor(Math.max(0, Math.min(total - 1, to)))
    }
    if (/^[0-9]$/.test(e.key)) {
      const cls = classForKey(classes, e.key)
      if (cls) {
        e.preventDefault()
        label(cls.id)
      }
      return
    }
    switch (e.key) {
      case 'ArrowRight':
        return move(clampedCursor + 1)
      case 'ArrowLeft':
        return move(clampedCursor - 1)
      case 'ArrowDown':
        return move(clampedCursor + columns)
      case 'ArrowUp':
        return move(clampedCursor - columns)
      case 'Home':
        return move(0)
      case 'End':
        return move(total - 1)
      case 'Enter':
        return move(clampedCursor + 1)
      case 'Backspace':
      case 'Delete':
        e.preventDefault()
        label(null)
        return
      case 'Escape':
        setSelected(new Set())
        return
    }
  }

  function onClick(index: number, sample: SampleItem | undefined, e: React.MouseEvent): void {
    setCursor(index)
    if (!sample) return
    if (e.shiftKey && anchor !== null) {
      const next = new Set(selected)
      for (let i = Math.min(anchor, index); i <= Math.max(anchor, index); i++) {
        const s = pages.get(i)
        if (s) next.add(s.id)
      }
      setSelected(next)
    } else if (e.ctrlKey || e.metaKey) {
      const next = new Set(selected)
      if (next.has(sample.id)) next.delete(sample.id)
      else next.add(sample.id)
      setSelected(next)
      setAnchor(index)
    } else {
      setSelected(new Set())
      setAnchor(index)
    }
  }

  if (pages.total === 0) {
    return (
      <div className="grid-empty" data-testid="grid-empty">
        {emptyMessage}
      </div>
    )
  }

  return (
    <div className="grid-wrap">
      <div
        ref={setScrollEl}
        className="sample-grid"
        tabIndex={0}
        role="grid"
        aria-label="Samples"
        aria-rowcount={rowCount}
        aria-multiselectable="true"
        onKeyDown={onKeyDown}
        data-testid="sample-grid"
        data-columns={columns}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((row) => (
            <div
              key={row.key}
              role="row"
              className={`grid-row ${kind}`}
              style={{ transform: `translateY(${row.start}px)`, height: row.size }}
            >
              {Array.from({ length: columns }, (_, c) => {
                const index = row.index * columns + c
                if (index >= total) return null
                const sample = pages.get(index)
                const cls = sample?.classId != null ? classById.get(sample.classId) : undefined
                const className = [
                  'cell',
                  index === clampedCursor ? 'cursor' : '',
                  sample && selected.has(sample.id) ? 'selected' : '',
                ].join(' ')
                return (
                  <div
                    key={index}
                    role="gridcell"
                    aria-selected={sample ? selected.has(sample.id) : false}
                    className={className}
                    onClick={(e) => onClick(index, sample, e)}
                    data-testid="sample-cell"
                    data-index={index}
                    data-label={cls?.name ?? ''}
                    title={
                      sample ? `${sample.name}${sample.width ? ` — ${sample.width}×${sample.height}` : ''}` : undefined
                    }
                  >
                    {kind === 'image' ? <ImageCell sample={sample} /> : <RowCell sample={sample} />}
                    <span className="cell-label" style={cls ? { background: cls.color } : undefined}>
                      {cls ? cls.name : sample ? 'unlabeled' : ''}
                    </span>
                    {sample?.split && (
                      <span className={`split-badge ${sample.split}`}>{sample.split[0]!.toUpperCase()}</span>
                    )}
                  </div>
                )
              })}
            </div>
          ))}
        </div>
      </div>
      <div className="grid-status muted small" data-testid="grid-status">
        {total.toLocaleString()} shown · {selected.size > 0 ? `${selected.size} selected · ` : ''}
        {classes.length > 0 && (
          <>
            <kbd>{keyRange(classes)}</kbd> label ·{' '}
          </>
        )}{' '}
        <kbd>⌫</kbd> clear · arrows move · <kbd>Ctrl+Z</kbd> undo · Shift/Ctrl+click selects
      </div>
    </div>
  )
}

function ImageCell({ sample }: { sample: SampleItem | undefined }): React.JSX.Element {
  if (!sample) return <div className="thumb placeholder" />
  const small = (sample.width ?? 999) < 64
  return (
    <img
      className={small ? 'thumb pixelated' : 'thumb'}
      src={api.mediaUrl('thumbs', sample.hash)}
      alt={sample.name}
      loading="lazy"
      decoding="async"
      draggable={false}
    />
  )
}

function RowCell({ sample }: { sample: SampleItem | undefined }): React.JSX.Element {
  if (!sample) return <div className="row-values placeholder" />
  const values = Object.entries(sample.values ?? {})
    .map(([k, v]) => `${k} ${v ?? '—'}`)
    .join(' · ')
  return (
    <div className="row-values">
      <span className="muted">{sample.name}</span> {values}
      {sample.target !== null && <strong> → {sample.target}</strong>}
    </div>
  )
}
