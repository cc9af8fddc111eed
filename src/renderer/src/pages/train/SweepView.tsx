/**
 * A sweep's progress and results: trials done / pruned / running with the time left, the best-so-far
 * curve, a parallel-coordinates plot of settings against the objective, each setting's importance, the
 * trials table (each row opens its run), and "Use best settings".
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { SweepDetail, SweepParam, SweepTrial, TrialParams } from '../../../../shared/sweep'
import { api } from '../../api'
import { formatDuration, jobWords } from '../../format'
import { formatMetric, formatSetting, isFraction, metricLabel, settingLabel } from '../../../../shared/words'
import { useApiEvent } from '../../useApiEvent'
import { LiveChart, type Series } from '../../components/LiveChart'

interface Props {
  sweepId: string
  onUseBest: (sweep: SweepDetail, params: TrialParams) => void
  onError: (err: unknown) => void
}

/** A trial's settings in words: "learning rate = 0.00576, layer 4 · units = 64". */
export function describeParams(params: TrialParams): string {
  return Object.entries(params)
    .map(([k, v]) => `${settingLabel(k)} = ${formatSetting(v)}`)
    .join(', ')
}

/** Trials sorted by a column: '#', 'objective', 'state' or a setting's path; trials without a value last. */
function sortTrials(trials: SweepTrial[], key: string, descending: boolean): SweepTrial[] {
  const value = (t: SweepTrial): string | number | boolean | null =>
    key === '#' ? t.number : key === 'objective' ? t.objective : key === 'state' ? t.state : (t.params[key] ?? null)
  return [...trials].sort((a, b) => {
    const va = value(a)
    const vb = value(b)
    if (va === null || vb === null) return va === vb ? a.number - b.number : va === null ? 1 : -1
    const order = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb))
    return (descending ? -order : order) || a.number - b.number
  })
}

/** The best completed objective after each completed trial. */
function bestSoFar(trials: SweepTrial[], maximize: boolean): Array<{ x: number; y: number }> {
  const out: Array<{ x: number; y: number }> = []
  for (const t of trials) {
    if (t.state !== 'completed' || t.objective === null) continue
    const previous = out.at(-1)?.y
    out.push({
      x: t.number,
      y:
        previous === undefined
          ? t.objective
          : maximize
            ? Math.max(previous, t.objective)
            : Math.min(previous, t.objective),
    })
  }
  return out
}

export function SweepView({ sweepId, onUseBest, onError }: Props): React.JSX.Element {
  const [sweep, setSweep] = useState<SweepDetail | null>(null)
  const [sort, setSort] = useState<{ key: string; descending: boolean }>({ key: '#', descending: false })
  const pending = useRef(false)

  const refresh = useCallback(() => {
    if (pending.current) return
    pending.current = true
    api.call('sweeps.get', { sweepId }).then(
      (s) => {
        pending.current = false
        setSweep(s)
      },
      (err: unknown) => {
        pending.current = false
        onError(err)
      },
    )
  }, [sweepId, onError])

  useEffect(refresh, [refresh])
  useApiEvent('sweeps.changed', (e) => e.sweepId === sweepId && refresh())
  // A trial's curve grows epoch by epoch.
  useApiEvent('training.epochEnded', (e) => sweep?.trials.some((t) => t.runId === e.runId) && refresh())
  useApiEvent('clusters.jobChanged', (e) => sweep?.trials.some((t) => t.runId === e.runId) && refresh())

  if (!sweep) return <p className="muted">Loading the sweep…</p>
  const { counts } = sweep
  const ended = counts.completed + counts.pruned + counts.failed + counts.stopped
  const planned = sweep.plannedTrials
  const perTrial = ended > 0 ? sweep.elapsedSeconds / ended : null
  const left =
    sweep.status !== 'running'
      ? null
      : [
          planned !== null && perTrial !== null ? (planned - ended) * perTrial : null,
          sweep.budget.minutes !== null ? sweep.budget.minutes * 60 - sweep.elapsedSeconds : null,
        ]
          .filter((v): v is number => v !== null)
          .reduce<number | null>((a, b) => (a === null ? b : Math.min(a, b)), null)
  const maximize = sweep.objective.direction === 'maximize'
  // The cluster's name, as its trials' jobs carry it.
  const jobTarget = sweep.target ? (sweep.trials.find((t) => t.job)?.job?.profileName ?? 'a cluster') : null
  const metric = metricLabel(sweep.objective.metric)
  const objective = (v: number | null): string => formatMetric(sweep.objective.metric, v)
  const scored = sweep.trials.filter((t) => t.objective !== null)
  const bestPoints = bestSoFar(sweep.trials, maximize)
  const series: Series[] = [
    { label: `best ${metric} so far`, color: '#4c6ef5', points: bestPoints, markers: true },
    {
      label: 'each trial',
      color: '#adb5bd',
      points: scored.map((t) => ({ x: t.number, y: t.objective! })),
      markers: true,
      line: false,
    },
  ]
  const control = (method: 'sweeps.pause' | 'sweeps.resume' | 'sweeps.stop'): void =>
    void api.call(method, { sweepId }).then(refresh, onError)

  return (
    <div className="card sweep-view" data-testid="sweep-view" data-status={sweep.status}>
      <div className="row-between">
        <div>
          <h2>
            {sweep.name} <span className={`badge sweep-${sweep.status}`}>{sweep.status}</span>
          </h2>
          <p className="muted small">
            {sweep.strategy === 'tpe' ? 'Bayesian (TPE)' : sweep.strategy === 'grid' ? 'Grid' : 'Random'} search ·{' '}
            {maximize ? 'maximise' : 'minimise'} {metric} · pruning:{' '}
            {sweep.pruning.rule === 'none'
              ? 'none'
              : sweep.pruning.rule === 'median'
                ? 'median stopping'
                : 'successive halving'}{' '}
            · seed {sweep.seed}
            {sweep.parallel > 1 ? ` · ${sweep.parallel} at a time` : ''}
            {jobTarget ? ` · as Slurm jobs on ${jobTarget}` : ''}
            {sweep.statusReason ? ` · ${sweep.statusReason}` : ''}
          </p>
        </div>
        <div className="row">
          {sweep.status === 'running' && (
            <button
              className="button"
              onClick={() => control('sweeps.pause')}
              data-testid="sweep-pause"
              title="The current trial finishes; no new one starts"
            >
              Pause
            </button>
          )}
          {sweep.status === 'paused' && (
            <button className="button" onClick={() => control('sweeps.resume')} data-testid="sweep-resume">
              Resume
            </button>
          )}
          {(sweep.status === 'running' || sweep.status === 'paused') && (
            <button className="button danger-outline" onClick={() => control('sweeps.stop')} data-testid="sweep-stop">
              Stop
            </button>
          )}
          <button
            className="button primary"
            disabled={!sweep.best}
            onClick={() => sweep.best && onUseBest(sweep, sweep.best.params)}
            data-testid="sweep-use-best"
          >
            Use best settings
          </button>
        </div>
      </div>

      <div className="progress-rows" data-testid="sweep-progress">
        <label>
          <span>
            <strong data-testid="sweep-counts">
              {ended} of {planned ?? '?'} trials done
            </strong>{' '}
            · {counts.completed} completed · {counts.pruned} pruned{counts.failed ? ` · ${counts.failed} failed` : ''}
            {counts.running ? ` · ${counts.running} running` : ''} · {formatDuration(sweep.elapsedSeconds)} so far
            {left !== null ? ` · about ${formatDuration(Math.max(1, left))} left` : ''}
          </span>
          <progress max={planned ?? Math.max(1, ended + counts.running)} value={ended} />
        </label>
      </div>
      {sweep.best && (
        <p data-testid="sweep-best">
          Best: trial {sweep.best.number}, {metric} <strong>{objective(sweep.best.objective)}</strong> with{' '}
          {describeParams(sweep.best.params)}
        </p>
      )}

      <div className="sweep-charts">
        <LiveChart
          title={`Best ${metric} so far, by trial`}
          series={series}
          version={sweep}
          testId="sweep-best-chart"
          xLabel="trial"
          percentAxis={isFraction(sweep.objective.metric)}
        />
        <ParallelCoordinates
          space={sweep.space}
          trials={sweep.trials}
          metric={sweep.objective.metric}
          maximize={maximize}
        />
      </div>

      {sweep.importance.values.length > 0 && (
        <div data-testid="sweep-importance">
          <h3>Which settings mattered</h3>
          <ul className="try-bars">
            {sweep.importance.values.map((v) => (
              <li key={v.path}>
                <span className="try-name">{settingLabel(v.path)}</span>
                <span className="try-track">
                  <span className="try-fill" style={{ width: `${(v.importance * 100).toFixed(1)}%` }} />
                </span>
                <span className="try-value">{(v.importance * 100).toFixed(0)} %</span>
              </li>
            ))}
          </ul>
          <p className="muted small">{sweep.importance.method}. With few trials this is a rough guide.</p>
        </div>
      )}

      <table className="runs-table sweep-trials" data-testid="sweep-trials">
        <thead>
          <tr>
            {['#', ...sweep.space.map((p) => p.path), metric, 'state'].map((key) => (
              <th key={key} aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : undefined}>
                <button
                  className="sort"
                  onClick={() =>
                    setSort({ key, descending: sort.key === key ? !sort.descending : key === metric && maximize })
                  }
                  data-testid={`sweep-sort-${key}`}
                >
                  {key === 'state' ? 'Ended' : key === '#' || key === metric ? key : settingLabel(key)}
                  {sort.key === key ? (sort.descending ? ' ↓' : ' ↑') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sortTrials(sweep.trials, sort.key === metric ? 'objective' : sort.key, sort.descending).map((t) => (
            <tr
              key={t.number}
              className={sweep.best?.number === t.number ? 'open' : ''}
              data-testid="sweep-trial"
              data-state={t.state}
            >
              <td>{t.runId ? <a href={`#/runs/${t.runId}`}>{t.number}</a> : t.number}</td>
              {sweep.space.map((p) => (
                <td key={p.path}>{formatSetting(t.params[p.path])}</td>
              ))}
              <td>{objective(t.objective)}</td>
              <td className="small">
                <span className={`badge trial-${t.state}`}>{t.state}</span>{' '}
                {t.state === 'running'
                  ? `${t.curve.length} epoch${t.curve.length === 1 ? '' : 's'} done`
                  : (t.endedReason ?? '')}
                {t.job && (
                  <span className="muted" data-testid="sweep-trial-job">
                    {' '}
                    · {jobWords(t.job)}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** One vertical axis per setting plus the objective; a line per trial, coloured by its objective. */
function ParallelCoordinates({
  space,
  trials,
  metric,
  maximize,
}: {
  space: SweepParam[]
  trials: SweepTrial[]
  metric: string
  maximize: boolean
}): React.JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null)
  const drawn = trials.filter((t) => t.objective !== null).length

  useEffect(() => {
    const c = canvas.current
    const ctx = c?.getContext('2d')
    if (!c || !ctx) return
    const dpr = window.devicePixelRatio || 1
    const width = c.clientWidth
    const height = c.clientHeight
    c.width = width * dpr
    c.height = height * dpr
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.clearRect(0, 0, width, height)
    const style = getComputedStyle(c)
    const text = style.getPropertyValue('--text').trim() || '#222'
    const muted = style.getPropertyValue('--muted').trim() || '#666'
    const border = style.getPropertyValue('--border').trim() || '#ccc'
    const axes = [...space.map((p) => settingLabel(p.path)), metricLabel(metric)]
    const top = 34
    const bottom = height - 22
    const left = 40
    const right = width - 40
    const x = (i: number): number => left + (axes.length === 1 ? 0 : (i * (right - left)) / (axes.length - 1))
    const scored = trials.filter((t) => t.objective !== null)
    const objectives = scored.map((t) => t.objective!)
    const oMin = Math.min(...objectives)
    const oMax = Math.max(...objectives)
    // Each axis maps its values to 0 (bottom) … 1 (top): numbers linearly (log for log scales), choices evenly.
    const position = (p: SweepParam | null, v: unknown): number => {
      if (p === null) return oMax === oMin ? 0.5 : ((v as number) - oMin) / (oMax - oMin)
      if (p.kind === 'categorical')
        return p.choices.length === 1 ? 0.5 : p.choices.findIndex((c) => c === v) / (p.choices.length - 1)
      const t = (n: number): number => (p.kind === 'float' && p.log ? Math.log(n) : n)
      return p.high === p.low ? 0.5 : (t(v as number) - t(p.low)) / (t(p.high) - t(p.low))
    }
    const y = (f: number): number => bottom - f * (bottom - top)
    ctx.font = '11px system-ui, sans-serif'
    ctx.textAlign = 'center'
    axes.forEach((name, i) => {
      ctx.strokeStyle = border
      ctx.beginPath()
      ctx.moveTo(x(i), top)
      ctx.lineTo(x(i), bottom)
      ctx.stroke()
      // The end axes' labels lean inwards so they are not cut off at the edges.
      ctx.textAlign =
        i === 0 && axes.length > 1 ? 'left' : i === axes.length - 1 && axes.length > 1 ? 'right' : 'center'
      const labelX = ctx.textAlign === 'left' ? x(i) - 8 : ctx.textAlign === 'right' ? x(i) + 8 : x(i)
      ctx.fillStyle = text
      ctx.fillText(name.length > 22 ? `${name.slice(0, 21)}…` : name, labelX, 14)
      const p = space[i] ?? null
      const [lo, hi] =
        p === null ? [oMin, oMax] : p.kind === 'categorical' ? [p.choices[0], p.choices.at(-1)] : [p.low, p.high]
      ctx.fillStyle = muted
      // The objective's axis has no range until a trial has finished: a dash, not "-Infinity".
      const show = (v: unknown): string =>
        p === null ? (scored.length ? formatMetric(metric, v as number) : '—') : formatSetting(v)
      ctx.fillText(show(hi), labelX, top - 6)
      ctx.fillText(show(lo), labelX, bottom + 14)
    })
    // Worst first, so the best lines are drawn on top.
    const order = [...scored].sort((a, b) => (maximize ? a.objective! - b.objective! : b.objective! - a.objective!))
    for (const t of order) {
      const f = oMax === oMin ? 1 : (t.objective! - oMin) / (oMax - oMin)
      const goodness = maximize ? f : 1 - f
      ctx.strokeStyle = `hsl(${Math.round(10 + goodness * 120)} 70% 45% / ${t.state === 'pruned' ? 0.35 : 0.85})`
      ctx.lineWidth = t.state === 'completed' ? 2 : 1
      ctx.setLineDash(t.state === 'pruned' ? [4, 3] : [])
      ctx.beginPath()
      axes.forEach((_, i) => {
        const p = space[i] ?? null
        const v = p === null ? t.objective : t.params[p.path]
        const px = x(i)
        const py = y(position(p, v))
        if (i === 0) ctx.moveTo(px, py)
        else ctx.lineTo(px, py)
      })
      ctx.stroke()
    }
    ctx.setLineDash([])
  }, [space, trials, metric, maximize])

  return (
    <div className="chart-card" data-testid="sweep-parallel" data-lines={drawn}>
      <h3>Settings against {metric}, one line per trial</h3>
      <div className="chart-box">
        <canvas
          ref={canvas}
          className="parallel-canvas"
          role="img"
          aria-label={`Parallel coordinates of ${drawn} trials`}
        />
      </div>
      <p className="muted small">Greener lines did better; dashed lines were pruned.</p>
    </div>
  )
}
