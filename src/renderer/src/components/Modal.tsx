/**
 * Every dialog of the app, one way: modal (a backdrop, the page behind it inert), Escape closes it, and
 * focus goes back where it was when the dialog closes. Built on the native <dialog> and showModal().
 */
import { useEffect, useRef } from 'react'

interface Props {
  className?: string
  testId: string
  labelledBy?: string
  onClose: () => void
  children: React.ReactNode
}

export function Modal({ className = 'dialog', testId, labelledBy, onClose, children }: Props): React.JSX.Element {
  const ref = useRef<HTMLDialogElement>(null)
  const close = useRef(onClose)
  useEffect(() => {
    close.current = onClose
  }, [onClose])

  useEffect(() => {
    const dialog = ref.current
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null
    if (dialog && !dialog.open) dialog.showModal()
    return () => {
      if (before?.isConnected) before.focus()
    }
  }, [])

  return (
    <dialog
      ref={ref}
      className={className}
      aria-labelledby={labelledBy}
      data-testid={testId}
      // Escape: the browser cancels the dialog; the owner decides whether it goes (it always does here).
      onCancel={(e) => {
        e.preventDefault()
        close.current()
      }}
    >
      {children}
    </dialog>
  )
}
