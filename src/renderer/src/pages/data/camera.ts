/**
 * What "Capture from camera" needs besides the screen: the words for a camera that cannot be opened, the
 * names the frames get, and how often a held button takes one.
 */

/** How often a held "Hold to record" takes a frame, in milliseconds. */
export const frameIntervals = [100, 200, 500, 1000] as const

/** One session keeps at most this many frames before they are added (about 40 MB of JPEG at 640×480). */
export const maxFrames = 400

/** The longest side a frame is stored at: enough for any template (the pretrained one resizes to 224). */
export const maxFrameSide = 640

/** Why the camera did not open, in words, with what to do; from getUserMedia's DOMException names. */
export function cameraProblem(err: unknown, secure: boolean): string {
  const name =
    err instanceof Error || (typeof err === 'object' && err !== null && 'name' in err)
      ? String((err as { name: unknown }).name)
      : ''
  if (!secure) {
    return 'This page cannot use a camera: browsers allow it only on localhost or https. Open ModelBench at its localhost address, or use the desktop app.'
  }
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was refused. Allow the camera for ModelBench (the camera icon in the address bar, or your system’s privacy settings), then press Try again.'
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect one, then press Try again.'
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is busy: another app may be using it. Close that app, then press Try again.'
    case 'NoMediaDevices':
      return 'This browser gives no access to cameras. Use a recent Chrome, Edge or Firefox, or the desktop app.'
    default:
      return `The camera could not be opened${err instanceof Error && err.message ? `: ${err.message}` : ''}. Press Try again.`
  }
}

/**
 * A frame's file name inside the upload: the folder the import report shows, then the time the burst began
 * and the frame's number, so frames sort in the order they were taken.
 */
export function frameName(startedAt: Date, n: number): string {
  const pad = (v: number, w = 2): string => String(v).padStart(w, '0')
  const d = startedAt
  const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`
  return `Camera/capture-${stamp}-${pad(n, 3)}.jpg`
}

/** The size a frame is drawn at: the camera's own, scaled down so its longest side is at most `maxFrameSide`. */
export function frameSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, maxFrameSide / Math.max(width, height, 1))
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}
