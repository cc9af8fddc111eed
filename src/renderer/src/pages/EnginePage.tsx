/** The GPU doctor: which engine trains here, why faster ones are not used, and what to install for the GPU. */
import { useCallback, useEffect, useState } from 'react'
import type { DoctorReport } from '../../../shared/contract'
import { api } from '../api'
import { messageOf } from '../../../shared/messages'

export function EnginePage(): React.JSX.Element {
  const [report, setReport] = useState<DoctorReport | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [checking, setChecking] = useState(true)

  const check = useCallback(() => {
    setChecking(true)
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

  const engine = report?.engine
  const gpu = report?.gpu
  const onGpu = engine?.engine === 'node-gpu' && gpu?.advice.length === 0
  return (
    <section className="page" data-testid="page-engine">
      <header className="page-header row-between">
        <div>
          <h1>Engine and GPU</h1>
          <p className="muted">What trains your models on this computer, and how to make it faster.</p>
        </div>
        <button className="button" onClick={check} disabled={checking} data-testid="doctor-check">
          {checking ? 'Checking…' : 'Check again'}
        </button>
      </header>
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
      {report && (
        <>
          <div className={`card doctor-verdict ${onGpu ? 'ok' : 'cpu'}`} data-testid="doctor-verdict">
            <h2>{onGpu ? 'Training runs on the GPU' : engine ? `Training runs on the CPU (${engineLabel(engine.engine)})` : 'No training engine could start'}</h2>
            {engine && (
              <p className="muted">
                {engine.cpu} · {engine.cores} cores · {engine.memoryGiB} GiB · {engine.os} · Node {engine.node}
              </p>
            )}
          </div>
          <div className="doctor-grid">
            <div className="card">
              <h2>Engine</h2>
              <dl className="facts">
                <dt>In use</dt>
                <dd data-testid="doctor-engine">{engine ? `${engineLabel(engine.engine)} (tfjs backend “${engine.backend}”)` : 'none'}</dd>
                {engine &&
                  Object.entries(engine.versions).map(([pkg, v]) => (
                    <FactRow key={pkg} label={pkg} value={v} />
                  ))}
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
            <div className="card">
              <h2>NVIDIA GPU</h2>
              <dl className="facts">
                <FactRow label="Driver" value={gpu!.driver ?? 'not found'} />
                <FactRow label="GPUs" value={gpu!.gpus.length ? gpu!.gpus.join(', ') : 'none found'} />
                <FactRow label="CUDA runtime" value={versionNote(gpu!.cudaRuntime, '11', 'CUDA 11.2')} />
                <FactRow label="cuDNN" value={versionNote(gpu!.cudnn, '8', 'cuDNN 8.1')} />
                <FactRow label="tfjs-node-gpu" value={gpu!.tfjsNodeGpuInstalled ? (gpu!.tfjsNodeGpuLoads ? 'installed, loads' : 'installed, does not load') : 'not installed'} />
              </dl>
              {gpu!.advice.length > 0 && (
                <>
                  <h3>To train on the GPU</h3>
                  <ol className="advice" data-testid="doctor-advice">
                    {gpu!.advice.map((a) => (
                      <li key={a}>{a}</li>
                    ))}
                  </ol>
                  <p className="muted small">tfjs-node-gpu 4.x needs an NVIDIA driver, CUDA 11.2 and cuDNN 8.1. Without them ModelBench trains on the CPU, which works, only slower.</p>
                </>
              )}
            </div>
          </div>
        </>
      )}
    </section>
  )
}

function engineLabel(e: string): string {
  return { 'node-gpu': 'TensorFlow on the NVIDIA GPU', node: 'TensorFlow native CPU', wasm: 'WebAssembly CPU', cpu: 'JavaScript CPU (slowest)' }[e] ?? e
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
