/**
 * The renderer's Content-Security-Policy. The same string is in src/renderer/index.html's meta tag (a
 * test keeps them equal) and is sent as a header by the headless server.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: mb-media:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

/** The headless server also forbids framing, which only a header can say. */
export const serverContentSecurityPolicy = `${contentSecurityPolicy}; frame-ancestors 'none'`
