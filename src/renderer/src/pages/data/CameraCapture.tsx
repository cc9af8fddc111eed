/**
 * "Capture from camera": a live preview, a class to capture into, and a button to hold while the camera
 * takes one frame every N ms. The frames are sent into an upload and imported from there like dropped
 * files (hashed, deduplicated, versioned), all into the chosen class. Works in Electron and in a browser
 * (getUserMedia); nothing captured is dropped without asking.
 */
import { useEffect, useRef, useState } from 'react'
import type { ClassInfo } from '../../../../shared/contract'
import { api } from '../../api'
import { Modal } from '../../components/Modal'
import { readAsBase64 } from '../../read-base64'
import { messageOf } from '../../../../shared/messages'
import { cameraProblem, frameIntervals, frameName, frameSize, maxFrames } from './camera'

interface Frame {
  id: number
  blob: Blob
  url: string
}

interface Props {
  projectId: string
  classes: ClassInfo[]
  onStarted: (className: string, frames: number) => void
  onClose: () => void
}

const newClassValue = '\u0000new'

export function CameraCapture({ projectId, classes, onStarted, onClose }: Props): React.JSX.Element {
  const video = useRef<HTMLVideoElement>(null)
  const stream = useRef<MediaStream | null>(null)
  const [live, setLive] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [attempt, setAttempt] = useState(0)
  const [choice, setChoice] = useState<string>(classes[0]?.name ?? newClassValue)
  const [newName, setNewName] = useState('')
  const [interval, setIntervalMs] = useState<number>(200)
  const [frames, setFrames] = useState<Frame[]>([])
  const [pending, setPendingState] = useState(0)
  const pendingRef = useRef(0)
  const setPending = (change: number): void => {
    pendingRef.current += change
    setPendingState(pendingRef.current)
  }
  const [recording, setRecording] = useState(false)
  const [sending, setSending] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [confirmDiscard, setConfirmDiscard] = useState(false)
  const timer = useRef<number | null>(null)
  const nextId = useRef(1)
  const startedAt = useRef(new Date())
  const framesRef = useRef<Frame[]>([])
  framesRef.current = frames

  // Open the camera (again on Try again); stop it when the dialog closes.
  useEffect(() => {
    let cancelled = false
    const open = async (): Promise<void> => {
      if (!window.isSecureContext) throw new Error('insecure')
      if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error(''), { name: 'NoMediaDevices' })
      const s = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 } },
        audio: false,
      })
      if (cancelled) {
        s.getTracks().forEach((t) => t.stop())
        return
      }
      stream.current = s
      if (video.current) {
        video.current.srcObject = s
        await video.current.play().catch(() => undefined)
      }
      setLive(true)
    }
    open().catch((err: unknown) => !cancelled && setProblem(cameraProblem(err, window.isSecureContext)))
    return () => {
      cancelled = true
      stream.current?.getTracks().forEach((t) => t.stop())
      stream.current = null
      setLive(false)
    }
  }, [attempt])

  // Object URLs of the thumbnails go when the dialog does.
  useEffect(() => () => framesRef.current.forEach((f) => URL.revokeObjectURL(f.url)), [])

  function grab(): void {
    const v = video.current
    if (!v || v.videoWidth === 0) return
    if (framesRef.current.length + pendingRef.current >= maxFrames) {
      stopRecording()
      setError(`${maxFrames} frames is the most one capture keeps: add these, then capture more.`)
      return
    }
    const { width, height } = frameSize(v.videoWidth, v.videoHeight)
    const canvas = document.createElement('canvas')
    canvas.width = width
    canvas.height = height
    canvas.getContext('2d')?.drawImage(v, 0, 0, width, height)
    // Encoding finishes after the frame was taken: until it has, the frame counts as pending.
    setPending(1)
    canvas.toBlob(
      (blob) => {
        setPending(-1)
        if (!blob) return
        const frame = { id: nextId.current++, blob, url: URL.createObjectURL(blob) }
        setFrames((fs) => [...fs, frame])
      },
      'image/jpeg',
      0.92,
    )
  }

  function startRecording(): void {
    if (timer.current !== null || !live || sending) return
    if (framesRef.current.length === 0) startedAt.current = new Date()
    setError(null)
    setRecording(true)
    grab()
    timer.current = window.setInterval(grab, interval)
  }

  function stopRecording(): void {
    if (timer.current !== null) window.clearInterval(timer.current)
    timer.current = null
    setRecording(false)
  }
  useEffect(() => stopRecording, [])

  const className = (choice === newClassValue ? newName : choice).trim()

  function removeFrame(id: number): void {
    setFrames((fs) => {
      const gone = fs.find((f) => f.id === id)
      if (gone) URL.revokeObjectURL(gone.url)
      return fs.filter((f) => f.id !== id)
    })
  }

  function clearFrames(): void {
    frames.forEach((f) => URL.revokeObjectURL(f.url))
    setFrames([])
  }

  async function add(): Promise<void> {
    if (!className || frames.length === 0) return
    setError(null)
    const uploadId = crypto.randomUUID()
    try {
      let folder = ''
      for (const [i, f] of frames.entries()) {
        setSending(`Sending ${i + 1} of ${frames.length}…`)
        const name = frameName(startedAt.current, i + 1)
        const put = await api.call('uploads.putFile', { uploadId, name, base64: await readAsBase64(f.blob, name) })
        // The folder the frames are in, in the server's own path style.
        folder = put.path.slice(0, put.path.length - name.split('/').at(-1)!.length - 1)
      }
      setSending('Starting the import…')
      await api.call('datasets.importImages', { projectId, paths: [folder], className })
      const n = frames.length
      clearFrames()
      onStarted(className, n)
    } catch (err) {
      // The frames stay: fix what the message says and add them again.
      setError(messageOf(err))
    } finally {
      setSending(null)
    }
  }

  function close(): void {
    if (sending) return
    if (frames.length > 0 && !confirmDiscard) {
      setConfirmDiscard(true)
      return
    }
    onClose()
  }

  const holdKeys = (e: React.KeyboardEvent): boolean => e.key === ' ' || e.key === 'Enter'

  return (
    <Modal className="dialog wide camera-dialog" testId="camera-dialog" labelledBy="camera-title" onClose={close}>
      <h2 id="camera-title">Capture from camera</h2>
      <div className="camera-layout">
        <div className="camera-preview">
          <video ref={video} muted playsInline aria-label="Camera preview" data-testid="camera-video" />
          {!live && !problem && <p className="camera-overlay muted">Opening the camera…</p>}
          {problem && (
            <div className="camera-overlay" role="alert" data-testid="camera-problem">
              <p>{problem}</p>
              <button
                className="button"
                onClick={() => {
                  setProblem(null)
                  setAttempt((a) => a + 1)
                }}
                data-testid="camera-retry"
              >
                Try again
              </button>
            </div>
          )}
          {recording && (
            <span className="camera-recording" data-testid="camera-recording">
              ● Recording
            </span>
          )}
        </div>
        <div className="camera-controls">
          <label className="small" htmlFor="camera-class">
            Into class
          </label>
          {classes.length > 0 && (
            <select
              id="camera-class"
              value={choice}
              onChange={(e) => setChoice(e.target.value)}
              data-testid="camera-class"
            >
              {classes.map((c) => (
                <option key={c.id} value={c.name}>
                  {c.name}
                </option>
              ))}
              <option value={newClassValue}>New class…</option>
            </select>
          )}
          {choice === newClassValue && (
            <input
              id={classes.length > 0 ? undefined : 'camera-class'}
              aria-label="New class name"
              value={newName}
              onChange={(e) => setNewName(e.target.value)}
              placeholder="e.g. Thumbs up"
              maxLength={80}
              data-testid="camera-new-class"
            />
          )}
          <label className="small">
            One frame every{' '}
            <select
              value={interval}
              onChange={(e) => setIntervalMs(Number(e.target.value))}
              disabled={recording}
              data-testid="camera-interval"
            >
              {frameIntervals.map((ms) => (
                <option key={ms} value={ms}>
                  {ms < 1000 ? `${ms} ms` : `${ms / 1000} s`}
                </option>
              ))}
            </select>
          </label>
          <button
            className={recording ? 'button primary camera-hold recording' : 'button primary camera-hold'}
            disabled={!live || sending !== null}
            onPointerDown={(e) => {
              e.currentTarget.setPointerCapture(e.pointerId)
              startRecording()
            }}
            onPointerUp={stopRecording}
            onPointerCancel={stopRecording}
            onKeyDown={(e) => {
              if (!holdKeys(e)) return
              e.preventDefault()
              if (!e.repeat) startRecording()
            }}
            onKeyUp={(e) => holdKeys(e) && stopRecording()}
            onBlur={stopRecording}
            aria-pressed={recording}
            data-testid="camera-hold"
          >
            {recording ? 'Recording… release to stop' : 'Hold to record'}
          </button>
          <p className="muted small">
            Hold the button (or Space) while you show the camera what this class looks like; move it around a little.
          </p>
        </div>
      </div>

      <div className="row-between camera-strip-head">
        <strong data-testid="camera-count" aria-live="polite">
          {frames.length === 0 ? 'No frames yet' : frames.length === 1 ? '1 frame' : `${frames.length} frames`}
          {pending > 0 && !recording && ` · finishing ${pending}…`}
        </strong>
        {frames.length > 0 && (
          <button
            className="button link"
            onClick={clearFrames}
            disabled={recording || sending !== null}
            data-testid="camera-clear"
          >
            Clear all
          </button>
        )}
      </div>
      <ul className="camera-strip" aria-label="Captured frames" data-testid="camera-frames">
        {frames.map((f, i) => (
          <li key={f.id}>
            <img src={f.url} alt={`Frame ${i + 1}`} />
            <button
              className="button icon"
              onClick={() => removeFrame(f.id)}
              aria-label={`Remove frame ${i + 1}`}
              title="Remove this frame"
              disabled={sending !== null}
            >
              ×
            </button>
          </li>
        ))}
      </ul>

      {error && (
        <p className="field-error" role="alert" data-testid="camera-error">
          {error}
        </p>
      )}
      {confirmDiscard && frames.length > 0 && (
        <div className="stack-warning" role="alert" data-testid="camera-discard">
          Close and throw away the {frames.length === 1 ? 'frame' : `${frames.length} frames`} you captured?{' '}
          <button className="button danger" onClick={onClose} data-testid="camera-discard-confirm">
            Discard
          </button>{' '}
          <button className="button" onClick={() => setConfirmDiscard(false)}>
            Keep them
          </button>
        </div>
      )}
      <div className="dialog-actions">
        {sending && (
          <span className="muted small" role="status" data-testid="camera-sending">
            {sending}
          </span>
        )}
        <button className="button" onClick={close} disabled={sending !== null}>
          Close
        </button>
        <button
          className="button primary"
          onClick={() => void add()}
          disabled={frames.length === 0 || !className || recording || pending > 0 || sending !== null}
          title={!className ? 'Name the class first' : undefined}
          data-testid="camera-add"
        >
          {frames.length === 0
            ? 'Add images'
            : `Add ${frames.length === 1 ? '1 image' : `${frames.length} images`} to “${className || '…'}”`}
        </button>
      </div>
    </Modal>
  )
}
