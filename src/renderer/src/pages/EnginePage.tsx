/**
 * The Engine & GPU page, in plain words: what trains your models on this computer, what graphics card
 * WebGPU found, how fast that is against the other engines, which engine to use (automatic or one chosen
 * here), and — only under "Details" — the adapter's facts, the packages, CUDA and cuDNN and the steps to
 * use an NVIDIA card. The check (a few seconds) shows its progress step by step.
 */
import { useCallback, useEffect, useState } from 'react'
import type { DoctorReport, EnginePreference, EventPayload } from '../../../shared/contract'
import {
  adapterLabel,
  engineLabel,
  engineOrder,
  engineWords,
  fiveEpochsOnDigits,
  type EngineChoice,
} from '../../../shared/engines'
import { api } from '../api'
import { formatDuration } from '../format'
import { useApiEvent } from '../useApiEvent'
import { messageOf } from '../../../shared/messages'

export function EnginePage(): React.JSX.Element {
  const [report, setReport] = useState<DoctorReport | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [checking, setChecking] = useState(true)
  const [step, setStep] = useState<EventPayload<'engine.doctorProgressed'> | null>(null)

  const check = useCallback(() => {
    setChecking(true)
    setStep(null)
    api.call('engine.doctor', {}).then(
      (r) => {
        setReport(r)
        setError(null)
        setChecking(false)
      },
      (err: unknown) => {
        setError(messageOf(err))
        setChecking(false)
      },
    )
  }, [])
  // eslint-disable-next-line react-hooks/set-state-in-effect -- the first check starts with the page
  useEffect(check, [check])
  useApiEvent('engine.doctorProgressed', (e) => setStep(e))

  const choose = useCallback(
    (choice: EngineChoice | 'auto') => {
      api.call('engine.setPreference', { choice }).then(check, (err: unknown) => setError(messageOf(err)))
    },
    [check],
  )

  const engine = report?.engine
  const gpu = report?.gpu
  const onGpu = engine?.engine === 'node-gpu' || engine?.engine === 'webgpu'
  const onGraphicsCard = engine?.engine === 'node-gpu' || (engine?.engine === 'webgpu' && !engine.adapter?.software)
  const chosen =
    report?.preference.environment ?? (report?.preference.choice !== 'auto' ? report?.preference.choice : null)
  const hasNvidia = gpu ? gpu.gpus.length > 0 || gpu.driver !== null : false
  const words = engine ? engineWords[engine.engine as keyof typeof engineWords] : undefined
  const adapter = gpu?.webgpu.adapter ?? null
  return (
    <section className="page" data-testid="page-engine">
      <header className="page-header row-between">
        <div>
          <h1>Engine and GPU</h1>
          <p className="muted">What trains your models on this computer, and how fast.</p>
        </div>
        <button className="button" onClick={check} disabled={checking} data-testid="doctor-check">
          {checking ? 'Checking…' : 'Check again'}
        </button>
      </header>
      {checking && (
        <div className="card" role="status" data-testid="doctor-progress">
          <label>
            {step
              ? `${step.step}… (step ${Math.min(step.done + 1, step.total)} of ${step.total})`
              : 'Starting the check…'}
            <progress max={step?.total ?? 1} value={step?.done ?? 0} />
          </label>
        </div>
      )}
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
      {report && (
        <>
          <div className={`card doctor-verdict ${onGraphicsCard ? 'ok' : 'cpu'}`} data-testid="doctor-verdict">
            <h2>
              {!engine
                ? 'No training engine could start'
                : engine.engine === 'node-gpu'
                  ? 'Your models train on the NVIDIA graphics card'
                  : engine.engine === 'webgpu'
                    ? engine.adapter?.software
                      ? 'Your models train with WebGPU on a software adapter (chosen here)'
                      : 'Your models train on the graphics card, with WebGPU'
                    : `Your models train on the processor, with ${engineLabel(engine.engine).replace(/ on the processor$/, '')}`}
            </h2>
            {engine && (
              <p className="muted">
                {engine.cpu} · {engine.cores} cores · {engine.memoryGiB} GiB memory
              </p>
            )}
            {!engine && report.engineProblem && (
              <p className="field-error" data-testid="doctor-engine-problem">
                {report.engineProblem}. Choose “Automatic” below to use the fastest engine that starts.
              </p>
            )}
            {gpu && <p data-testid="doctor-webgpu-summary">{webgpuSummary(gpu.webgpu, engine?.engine === 'webgpu')}</p>}
            {engine && !onGpu && (
              <p data-testid="doctor-gpu-summary">
                {hasNvidia
                  ? 'This computer has an NVIDIA graphics card, but it is not used yet: see the steps under Details.'
                  : 'This computer has no NVIDIA graphics card that ModelBench can use with CUDA. Training on the processor works; it is only slower.'}
              </p>
            )}
          </div>

          <EngineChoiceCard preference={report.preference} onChoose={choose} disabled={checking} />

          <div className="card" data-testid="doctor-speeds">
            <h2>How fast</h2>
            {words?.referenceSamplesPerSecond && (
              <p>
                On the reference task (a small network learning 10,000 handwritten digits), this engine trains about{' '}
                <strong>{words.referenceSamplesPerSecond.toLocaleString('en')} images a second</strong> on a 2-core
                laptop: five passes over the digits take about{' '}
                {formatDuration(fiveEpochsOnDigits(words.referenceSamplesPerSecond))}.
              </p>
            )}
            <table className="runs-table engine-table">
              <thead>
                <tr>
                  <th>Engine</th>
                  <th>Here</th>
                  <th>Images a second (reference task, 2-core laptop)</th>
                </tr>
              </thead>
              <tbody>
                {engineOrder.map((id) => {
                  const w = engineWords[id]
                  const skipped = engine?.skipped.find((s) => s.startsWith(`${id}:`))
                  // Engines are tried fastest first: those before the one in use failed to start, those after were not needed.
                  const here =
                    engine?.engine === id
                      ? 'in use'
                      : skipped
                        ? id === 'webgpu' && adapter?.software
                          ? 'only a software adapter (see Details)'
                          : 'not available (see Details)'
                        : chosen
                          ? 'not tried: another engine is chosen'
                          : 'not tried: slower'
                  return (
                    <tr key={id} className={engine?.engine === id ? 'open' : ''} data-testid={`engine-row-${id}`}>
                      <td>
                        {w.label}
                        {id === 'webgpu' && adapter && <span className="muted small"> · {adapterLabel(adapter)}</span>}
                      </td>
                      <td>{here}</td>
                      <td>
                        {w.referenceSamplesPerSecond !== null ? w.referenceSamplesPerSecond.toLocaleString('en') : '—'}
                        <span className="muted small"> · {w.referenceNote}</span>
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>

          <details className="card" data-testid="doctor-details">
            <summary>Details: graphics adapter, packages, NVIDIA driver, CUDA and cuDNN</summary>
            <div className="doctor-grid">
              <div>
                <h3>WebGPU graphics adapter</h3>
                <dl className="facts" data-testid="doctor-adapter">
                  {adapter ? (
                    <>
                      <FactRow label="Vendor" value={adapter.vendor} />
                      <FactRow label="Architecture" value={adapter.architecture} />
                      {adapter.device && <FactRow label="Device" value={adapter.device} />}
                      <FactRow label="Driver" value={adapter.description || 'not reported'} />
                      <FactRow
                        label="Kind"
                        value={adapter.software ? 'software (no graphics card behind it)' : 'graphics card'}
                      />
                      <FactRow label="Largest buffer" value={bytes(adapter.maxBufferSize, 'maxBufferSize')} />
                      <FactRow
                        label="Largest binding"
                        value={bytes(adapter.maxStorageBufferBindingSize, 'maxStorageBufferBindingSize')}
                      />
                    </>
                  ) : (
                    <FactRow label="Adapter" value={gpu!.webgpu.problem ?? 'none found'} />
                  )}
                </dl>
              </div>
              <div>
                <h3>Engine</h3>
                <dl className="facts">
                  <dt>In use</dt>
                  <dd data-testid="doctor-engine">
                    {engine ? `${engineLabel(engine.engine)} (tfjs backend “${engine.backend}”)` : 'none'}
                  </dd>
                  <FactRow label="System" value={engine ? `${engine.os} · Node ${engine.node}` : '—'} />
                  {engine &&
                    Object.entries(engine.versions).map(([pkg, v]) => <FactRow key={pkg} label={pkg} value={v} />)}
                </dl>
                {engine && engine.skipped.length > 0 && (
                  <>
                    <h3>Faster engines not used</h3>
                    <ul className="plain-list">
                      {engine.skipped.map((s) => (
                        <li key={s}>{s}</li>
                      ))}
                    </ul>
                  </>
                )}
              </div>
              <div>
                <h3>NVIDIA graphics card</h3>
                <dl className="facts">
                  <FactRow label="GPUs" value={gpu!.gpus.length ? gpu!.gpus.join(', ') : 'none found'} />
                  <FactRow label="Driver" value={driverNote(gpu!)} />
                  <FactRow label="CUDA runtime" value={versionNote(gpu!.cudaRuntime, '11', 'CUDA 11.2')} />
                  <FactRow label="cuDNN" value={versionNote(gpu!.cudnn, '8', 'cuDNN 8.1')} />
                  <FactRow
                    label="tfjs-node-gpu"
                    value={
                      gpu!.tfjsNodeGpuInstalled
                        ? gpu!.tfjsNodeGpuLoads
                          ? 'installed, loads'
                          : 'installed, does not load'
                        : 'not installed'
                    }
                  />
                </dl>
                {gpu!.advice.length > 0 && (
                  <>
                    <h3>To train on an NVIDIA card</h3>
                    <ol className="advice" data-testid="doctor-advice">
                      {gpu!.advice.map((a) => (
                        <li key={a}>{a}</li>
                      ))}
                    </ol>
                    <p className="muted small">
                      tfjs-node-gpu 4.x needs an NVIDIA driver, CUDA 11.2 and cuDNN 8.1. Without them ModelBench trains
                      on the processor, which works, only slower.
                    </p>
                  </>
                )}
              </div>
            </div>
          </details>
        </>
      )}
    </section>
  )
}

/** What WebGPU found, in a sentence, and what that means for training. */
function webgpuSummary(webgpu: DoctorReport['gpu']['webgpu'], inUse: boolean): string {
  const a = webgpu.adapter
  if (!a) return 'WebGPU found no graphics card (it needs a Metal, Vulkan or Direct3D 12 driver): see Details for why.'
  if (inUse)
    return a.software
      ? `WebGPU adapter: ${adapterLabel(a)}. It is a software adapter, slower than the processor engines: use it to check results, not for speed.`
      : `WebGPU adapter: ${adapterLabel(a)}. Training, evaluation and Try it run on it.`
  return a.software
    ? `WebGPU found only a software adapter (${adapterLabel(a)}), which is slower than the processor, so training uses the processor.`
    : `WebGPU found ${adapterLabel(a)}, but a faster engine is in use.`
}

/** The Engine page's choice: automatic (the fastest that starts) or one engine, and MODELBENCH_ENGINE's override. */
function EngineChoiceCard({
  preference,
  onChoose,
  disabled,
}: {
  preference: EnginePreference
  onChoose: (choice: EngineChoice | 'auto') => void
  disabled: boolean
}): React.JSX.Element {
  return (
    <div className="card" data-testid="engine-choice">
      <h2>Train with</h2>
      <label>
        Engine{' '}
        <select
          value={preference.choice}
          disabled={disabled}
          onChange={(e) => onChoose(e.target.value as EngineChoice | 'auto')}
          data-testid="engine-choice-select"
        >
          <option value="auto">Automatic: the fastest that works (recommended)</option>
          {engineOrder.map((id) => (
            <option key={id} value={id}>
              {engineWords[id].label}
            </option>
          ))}
        </select>
      </label>
      <p className="muted small">
        New runs, evaluation and Try it use this engine; a run that is resumed keeps the engine it started on. A chosen
        engine that cannot start makes the run fail with the reason, rather than quietly using another.
      </p>
      {preference.environment && (
        <p className="banner warning" data-testid="engine-choice-env">
          MODELBENCH_ENGINE={preference.environment} is set where ModelBench was started: it overrides this choice.
        </p>
      )}
      {preference.environmentProblem && <p className="banner warning">{preference.environmentProblem}</p>}
    </div>
  )
}

function bytes(n: number, limit: string): string {
  const size = n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`
  return `${size} (${limit}): a model needing more in one tensor is refused before training`
}

/** The driver as found; when nvidia-smi finds none but CUDA libraries are there, say what that means. */
function driverNote(gpu: DoctorReport['gpu']): string {
  if (gpu.driver) return gpu.driver
  return gpu.cudaRuntime || gpu.cudnn
    ? 'not found by nvidia-smi, although CUDA libraries are installed: the driver is missing or nvidia-smi is not on the PATH'
    : 'none found'
}

/** A found library version, with what tfjs-node-gpu 4.x needs when it is not that major version. */
function versionNote(found: string | null, major: string, needed: string): string {
  if (!found) return 'not found'
  return found.split('.')[0] === major ? found : `${found} (tfjs-node-gpu 4.x needs ${needed})`
}

function FactRow({ label, value }: { label: string; value: string }): React.JSX.Element {
  return (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  )
}
