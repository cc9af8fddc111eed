/**
 * Live loss and accuracy charts (chart.js). Points arrive in bursts; the charts redraw at most four times
 * a second, without animation, so the window stays responsive while a run streams metrics.
 */
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js'
import { useEffect, useRef } from 'react'

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip)

export interface Series {
  label: string
  color: string
  points: Array<{ x: number; y: number }>
  /** Epoch series get markers; batch series are a thin line. */
  markers: boolean
  /** False for a scatter plot (points only). */
  line?: boolean
  dashed?: boolean
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

/** An accuracy's axis and tooltips in percent, like every other accuracy in the app. */
const asPercent = (v: number | string): string => `${Math.round(Number(v) * 1000) / 10} %`

export function LiveChart({
  title,
  series,
  version,
  testId,
  xLabel = 'step',
  percentAxis = false,
}: {
  title: string
  series: Series[]
  version: unknown
  testId: string
  xLabel?: string
  /** The values are fractions (an accuracy): shown as percentages. */
  percentAxis?: boolean
}): React.JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null)
  const chart = useRef<Chart<'line'> | null>(null)
  const pending = useRef(false)
  const latest = useRef(series)

  useEffect(() => {
    latest.current = series
  })

  useEffect(() => {
    if (!canvas.current) return
    const grid = cssVar('--border')
    const text = cssVar('--muted')
    // The datasets (and so the legend) are drawn from the start: the first full draw is the costly one.
    chart.current = new Chart(canvas.current, {
      type: 'line',
      data: {
        datasets: latest.current.map((s) => ({
          label: s.label,
          data: s.points,
          borderColor: s.color,
          backgroundColor: s.color,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        plugins: {
          legend: { labels: { color: text, boxWidth: 12 } },
          tooltip: {
            intersect: false,
            mode: 'nearest',
            ...(percentAxis
              ? { callbacks: { label: (item) => `${item.dataset.label ?? ''}: ${asPercent(item.parsed.y ?? 0)}` } }
              : {}),
          },
        },
        scales: {
          x: {
            type: 'linear',
            title: { display: true, text: xLabel, color: text },
            grid: { color: grid },
            ticks: { color: text, precision: 0 },
          },
          y: { grid: { color: grid }, ticks: { color: text, ...(percentAxis ? { callback: asPercent } : {}) } },
        },
      },
    })
    return () => {
      chart.current?.destroy()
      chart.current = null
    }
  }, [xLabel, percentAxis])

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current)
    },
    [],
  )

  // One redraw per 250 ms at most: later points join the redraw already scheduled.
  useEffect(() => {
    if (pending.current) return
    pending.current = true
    timer.current = setTimeout(() => {
      pending.current = false
      const c = chart.current
      if (!c) return
      c.data.datasets = latest.current.map((s) => ({
        label: s.label,
        data: s.points,
        borderColor: s.color,
        backgroundColor: s.color,
        borderWidth: s.markers ? 2 : 1,
        pointRadius: s.markers ? 3 : 0,
        showLine: s.line !== false,
        borderDash: s.dashed ? [6, 4] : [],
        tension: s.line === false ? 0 : 0.2,
      }))
      c.update('none')
      // Say what is on the canvas now (tests wait for this rather than for a fixed time).
      const card = canvas.current?.closest<HTMLElement>('.chart-card')
      if (card) card.dataset.drawn = String(latest.current.reduce((n, s) => n + s.points.length, 0))
    }, 250)
  }, [version])

  return (
    <div className="chart-card" data-testid={testId} data-points={series.reduce((n, s) => n + s.points.length, 0)}>
      <h3>{title}</h3>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={`Chart: ${title}`} />
      </div>
    </div>
  )
}
