/**
 * Named actions: each state change the user can trigger by key is registered once here with its key test,
 * so buttons, shortcuts and the help list share one definition.
 */
import { pages } from './routes'

export interface Action {
  name: string
  label: string
  /** Human-readable keys, for tooltips and the shortcuts list. */
  keys: string
  keyTest: (e: KeyboardEvent) => boolean
}

const mod = (e: KeyboardEvent): boolean => e.ctrlKey || e.metaKey
// Read when used, not when this module loads: the page table imports pages that import these actions.
const pageKeys = (): number => Math.min(pages.length, 9)

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
  // One key per page of the navigation, as many as the page table has (at most nine).
  goToPage: {
    name: 'goToPage',
    get label() {
      return `Go to page 1–${pageKeys()}`
    },
    get keys() {
      return `Alt+1…${pageKeys()}`
    },
    keyTest: (e) => e.altKey && !mod(e) && /^Digit[1-9]$/.test(e.code) && Number(e.code.slice(5)) <= pageKeys(),
  },
} satisfies Record<string, Action>

/** True when the key event is typing into a field, where shortcuts other than Ctrl-chords must not fire. */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)
}
