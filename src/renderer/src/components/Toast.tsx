/** A transient message at the bottom of the window, optionally with one action (e.g. Undo). */
import { useEffect } from 'react'

export interface ToastState {
  kind: 'info' | 'error'
  message: string
  action?: { label: string; keys?: string; run: () => void }
}

const lifetimeMs = { info: 8000, error: 12000 }

export function Toast({ toast, onClose }: { toast: ToastState; onClose: () => void }): React.JSX.Element {
  useEffect(() => {
    const timer = setTimeout(onClose, lifetimeMs[toast.kind])
    return () => clearTimeout(timer)
  }, [toast, onClose])

  return (
    <div className={`toast ${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'} data-testid="toast">
      <span>{toast.message}</span>
      {toast.action && (
        <button
          className="button link"
          data-testid="toast-action"
          title={toast.action.keys}
          onClick={() => {
            toast.action?.run()
            onClose()
          }}
        >
          {toast.action.label}
          {toast.action.keys && <kbd>{toast.action.keys}</kbd>}
        </button>
      )}
      <button className="button icon" aria-label="Dismiss" onClick={onClose}>
        ×
      </button>
    </div>
  )
}
