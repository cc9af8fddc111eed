/**
 * Named actions: each state change the user can trigger by key is registered once here with its key test,
 * so buttons, shortcuts and the help list share one definition.
 */
export interface Action {
  name: string
  label: string
  /** Human-readable keys, for tooltips and the shortcuts list. */
  keys: string
  keyTest: (e: KeyboardEvent) => boolean
}

const mod = (e: KeyboardEvent): boolean => e.ctrlKey || e.metaKey

export const actions = {
  newProject: {
    name: 'newProject',
    label: 'New project',
    keys: 'Ctrl+N',
    keyTest: (e) => mod(e) && !e.shiftKey && e.key.toLowerCase() === 'n',
  },
  undo: {
    name: 'undo',
    label: 'Undo',
    keys: 'Ctrl+Z',
    keyTest: (e) => mod(e) && !e.shiftKey && e.key.toLowerCase() === 'z',
  },
  goToPage: {
    name: 'goToPage',
    label: 'Go to page 1–6',
    keys: 'Alt+1…6',
    keyTest: (e) => e.altKey && !mod(e) && /^Digit[1-6]$/.test(e.code),
  },
} satisfies Record<string, Action>

/** True when the key event is typing into a field, where shortcuts other than Ctrl-chords must not fire. */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)
}
