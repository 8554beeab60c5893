// HTML building with escaping by default: html`<p>${text}</p>` escapes every
// interpolated value unless it is itself html`…` (or raw()). Arrays are joined.

class SafeHtml {
  constructor(text) {
    this.text = text
  }
  toString() {
    return this.text
  }
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escape text for HTML content and attribute values. */
export function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c])
}

function render(value) {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof SafeHtml) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return escape(value)
}

/** A template tag: interpolations are escaped unless already HTML. */
export function html(strings, ...values) {
  let out = strings[0]
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]
  })
  return new SafeHtml(out)
}

/** Trusted markup, used as is. */
export function raw(text) {
  return new SafeHtml(text)
}
