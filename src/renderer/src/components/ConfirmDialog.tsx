/** A modal confirmation (Modal: a backdrop, Escape cancels, focus returns). */
import { useState } from 'react'
import { Modal } from './Modal'
import { messageOf } from '../../../shared/messages'

export interface ConfirmDialogProps {
  title: string
  body: React.ReactNode
  confirmLabel: string
  danger?: boolean
  onConfirm: () => Promise<void>
  onClose: () => void
}

export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
}: ConfirmDialogProps): React.JSX.Element {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  async function confirm(): Promise<void> {
    setBusy(true)
    setError(null)
    try {
      await onConfirm()
      onClose()
    } catch (err) {
      setError(messageOf(err))
      setBusy(false)
    }
  }

  return (
    <Modal testId="confirm-dialog" labelledBy="confirm-title" onClose={() => !busy && onClose()}>
      <h2 id="confirm-title">{title}</h2>
      <div className="dialog-body">{body}</div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button className="button" onClick={onClose} disabled={busy} autoFocus>
          Cancel
        </button>
        <button
          className={danger ? 'button danger' : 'button primary'}
          onClick={() => void confirm()}
          disabled={busy}
          data-testid="confirm-button"
        >
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Modal>
  )
}
