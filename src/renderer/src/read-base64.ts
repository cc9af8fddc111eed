/** A file or blob as base64 (no `data:` prefix), for the contract methods that take bytes whole. */
export function readAsBase64(blob: Blob, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''))
    reader.onerror = () => reject(new Error(`${name} could not be read`))
    reader.readAsDataURL(blob)
  })
}
