/**
 * Reviewing a model's label suggestions, most uncertain first: Enter accepts the guess, 1–9 gives the
 * image another class, arrows move, Escape closes. Each accepted label is an ordinary label change
 * (undo works as in the grid).
 */
import { useEffect, useRef, useState } from 'react'
import type { ClassInfo } from '../../../../shared/contract'
import type { LabelSuggestion } from '../../../../shared/training'
import { api } from '../../api'
import { classForKey, keyRange } from '../../class-keys'

interface Props {
  suggestions: LabelSuggestion[]
  classes: ClassInfo[]
  onLabel: (sampleId: number, classId: number) => void
  onClose: () => void
}

export function SuggestionReview({ suggestions, classes, onLabel, onClose }: Props): React.JSX.Element {
  const [cursor, setCursor] = useState(0)
  const [done, setDone] = useState<Map<number, number>>(() => new Map())
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => box.current?.focus(), [])
  useEffect(() => {
    box.current
      ?.querySelector<HTMLElement>(`[data-index="${cursor}"]`)
      ?.scrollIntoView({ block: 'nearest', inline: 'nearest' })
  }, [cursor])

  const classById = new Map(classes.map((c) => [c.id, c]))
  const label = (classId: number): void => {
    const s = suggestions[cursor]
    if (!s) return
    onLabel(s.sampleId, classId)
    setDone((d) => new Map(d).set(s.sampleId, classId))
    setCursor((c) => Math.min(c + 1, suggestions.length - 1))
  }

  return (
    <div
      ref={box}
      className="suggestions"
      tabIndex={0}
      data-testid="suggestions"
      onKeyDown={(e) => {
        const s = suggestions[cursor]
        if (e.key === 'Enter' && s) label(s.classId)
        else if (/^[0-9]$/.test(e.key) && classForKey(classes, e.key)) label(classForKey(classes, e.key)!.id)
        else if (e.key === 'ArrowRight' || e.key === 'ArrowDown')
          setCursor((c) => Math.min(c + 1, suggestions.length - 1))
        else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') setCursor((c) => Math.max(c - 1, 0))
        else if (e.key === 'Escape') onClose()
        else return
        e.preventDefault()
      }}
    >
      <div className="row-between">
        <strong>
          {suggestions.length.toLocaleString()} suggestions, most uncertain first · {done.size} accepted
        </strong>
        <span className="muted small">
          <kbd>Enter</kbd> accept · <kbd>{keyRange(classes)}</kbd> another class · arrows move · <kbd>Esc</kbd> close
        </span>
        <button className="button" onClick={onClose}>
          Done
        </button>
      </div>
      <div className="suggestion-strip">
        {suggestions.map((s, i) => {
          const given = done.get(s.sampleId)
          const guess = classById.get(s.classId)
          return (
            <div
              key={s.sampleId}
              data-index={i}
              className={['suggestion', i === cursor ? 'cursor' : '', given !== undefined ? 'done' : ''].join(' ')}
              onClick={() => setCursor(i)}
              data-testid="suggestion"
            >
              <img className="thumb pixelated" src={api.mediaUrl('thumbs', s.hash)} alt="" loading="lazy" />
              <span className="cell-label" style={{ background: guess?.color }}>
                {given !== undefined
                  ? `✓ ${classById.get(given)?.name ?? ''}`
                  : `${s.className}? ${(s.confidence * 100).toFixed(0)} %`}
              </span>
            </div>
          )
        })}
      </div>
    </div>
  )
}
