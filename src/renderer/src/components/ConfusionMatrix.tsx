/** A confusion matrix as a heat map (diagonal blue, mistakes red); cells can open the examples behind them. */
import type { ClassificationEvaluation } from '../../../shared/training'

interface Props {
  evaluation: ClassificationEvaluation
  /** Called with (true class, predicted class) when a non-empty cell is clicked. */
  onCell?: (trueIndex: number, predictedIndex: number) => void
  compact?: boolean
  testId?: string
}

export function ConfusionMatrix({ evaluation: e, onCell, compact, testId }: Props): React.JSX.Element {
  const max = Math.max(1, ...e.confusion.flat())
  // Many classes make a wide table: it scrolls sideways in its own box instead of spilling out of the card.
  return (
    <div className="confusion-scroll">
      <table className={compact ? 'confusion mini' : 'confusion'} data-testid={testId}>
        {!compact && (
          <thead>
            <tr>
              <th>true \ predicted</th>
              {e.classes.map((c) => (
                <th key={c.name}>{c.name}</th>
              ))}
            </tr>
          </thead>
        )}
        <tbody>
          {e.confusion.map((row, i) => (
            <tr key={i}>
              <th>{e.classes[i]!.name}</th>
              {row.map((n, j) => (
                <td
                  key={j}
                  title={`${n} ${e.classes[i]!.name} predicted as ${e.classes[j]!.name}${onCell ? ': click to see them' : ''}`}
                  style={{
                    background: `rgba(${i === j ? '59, 91, 219' : '201, 42, 42'}, ${(n / max) * 0.6})`,
                    cursor: onCell && n > 0 ? 'pointer' : undefined,
                  }}
                  onClick={() => n > 0 && onCell?.(i, j)}
                  data-testid={onCell ? `cell-${i}-${j}` : undefined}
                >
                  {n}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
