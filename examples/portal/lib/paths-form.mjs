// A Template's form pages, as the browser's form library draws them.
//
// Templates write their parameters as Backstage does: JSON Schema pages
// with react-jsonschema-form's `ui:*` hints beside the keywords. The portal
// draws each page with @json-editor/json-editor (public/paths.js), which
// reads plain JSON Schema plus its own `format` and `options`. formPages()
// turns the one into the other, hint by hint, and keeps what the library
// cannot show itself (`ui:help`) for the script to put under its field.
// The engine checks the parameters against the Template's own schema
// whatever the form did; this only decides how the form looks.

/** `ui:widget` values json-editor shows with a `format` of its own. */
const WIDGET_FORMATS = {
  password: 'password',
  textarea: 'textarea',
  radio: 'radio',
  checkbox: 'checkbox',
  color: 'color',
  date: 'date',
  email: 'email',
  uri: 'url',
  url: 'url',
  range: 'range',
  updown: 'number',
}

/** JSON Schema keywords whose values are schemas (or maps or lists of them). */
const ONE_SCHEMA = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames']
const SCHEMA_LISTS = ['oneOf', 'anyOf', 'allOf']
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs']

/**
 * The pages of a Template (TemplateSummary.parameters) for json-editor:
 * `[{ title, description, schema, fields, help }]`, where `schema` is the
 * page's object schema, `fields` its top-level property names and `help`
 * the `ui:help` texts by json-editor path (`root.name`).
 */
export function formPages(parameters) {
  return (parameters || []).map((page, i) => {
    const help = {}
    const schema = convert({ type: 'object', ...page }, 'root', help)
    delete schema.title
    delete schema.description
    // The page's heading is the portal's; the root object draws no header of its own.
    schema.options = { ...(schema.options || {}), compact: true, disable_collapse: true }
    return {
      title: page.title || `Step ${i + 1}`,
      description: page.description || '',
      schema,
      fields: Object.keys(schema.properties || {}),
      help,
    }
  })
}

/** One schema with its `ui:*` hints turned into json-editor's keywords. */
function convert(schema, path, help) {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema
  const out = {}
  const ui = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('ui:')) ui[key.slice(3)] = value
    else if (key === 'backstage:permissions' || key === 'enumNames') continue
    else out[key] = value
  }
  for (const key of SCHEMA_MAPS) {
    if (out[key] && typeof out[key] === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(out[key]).map(([k, v]) => [k, convert(v, key === 'properties' ? `${path}.${k}` : path, help)]),
      )
    }
  }
  for (const key of ONE_SCHEMA) {
    if (out[key] && typeof out[key] === 'object') out[key] = convert(out[key], key === 'items' ? `${path}.0` : path, help)
  }
  for (const key of SCHEMA_LISTS) {
    if (Array.isArray(out[key])) out[key] = out[key].map((s) => convert(s, path, help))
  }
  if (out.dependencies && typeof out.dependencies === 'object') {
    out.dependencies = Object.fromEntries(
      Object.entries(out.dependencies).map(([k, v]) => [k, Array.isArray(v) ? v : convert(v, path, help)]),
    )
  }

  const options = { ...(out.options || {}) }
  const attributes = { ...(options.inputAttributes || {}) }
  const uiOptions = ui.options && typeof ui.options === 'object' ? ui.options : {}
  if (ui.title !== undefined) out.title = ui.title
  if (ui.description !== undefined) out.description = ui.description
  if (typeof ui.help === 'string' && ui.help) help[path] = ui.help
  if (ui.field === 'Secret') out.format = 'password'
  else if (typeof ui.widget === 'string' && WIDGET_FORMATS[ui.widget]) out.format = WIDGET_FORMATS[ui.widget]
  if (ui.widget === 'hidden') options.hidden = true
  if (ui.widget === 'select') delete out.format
  if (typeof ui.placeholder === 'string') attributes.placeholder = ui.placeholder
  if (ui.autofocus === true) attributes.autofocus = 'autofocus'
  if (uiOptions.rows !== undefined) attributes.rows = String(uiOptions.rows)
  if (ui.readonly === true || ui.disabled === true) out.readOnly = true
  if (Array.isArray(schema.enumNames) && Array.isArray(out.enum)) options.enum_titles = schema.enumNames.map(String)
  // Backstage's pickers (OwnerPicker, EntityPicker, …) take an entity ref.
  if (typeof ui.field === 'string' && /Picker$/.test(ui.field) && !attributes.placeholder) {
    const kind = pickerKind(ui.field, uiOptions)
    attributes.placeholder = kind ? `${kind}:default/name` : 'kind:default/name'
  }
  if (Array.isArray(ui.order) && out.properties) {
    const names = Object.keys(out.properties)
    const rest = names.filter((n) => !ui.order.includes(n))
    const order = ui.order.flatMap((n) => (n === '*' ? rest : names.includes(n) ? [n] : []))
    for (const n of rest) if (!order.includes(n)) order.push(n)
    order.forEach((n, i) => {
      out.properties[n] = { ...out.properties[n], propertyOrder: i + 1 }
    })
  }
  if (Object.keys(attributes).length) options.inputAttributes = attributes
  if (Object.keys(options).length) out.options = options
  return out
}

/** The kind a Backstage picker asks for (OwnerPicker: a group). */
function pickerKind(field, options) {
  if (field === 'OwnerPicker') return 'group'
  const kinds = options.allowedKinds || (options.catalogFilter && options.catalogFilter.kind)
  const kind = Array.isArray(kinds) ? kinds[0] : kinds
  return typeof kind === 'string' ? kind.toLowerCase() : null
}

/**
 * An engine diagnostic's parameter path as json-editor's: `parameters.name`
 * -> `root.name`, `parameters.tags[1]` -> `root.tags.1`; null when it is
 * not about one parameter.
 */
export function editorPath(path) {
  const m = /^parameters\.(.+)$/.exec(path || '')
  if (!m) return null
  return `root.${m[1].replace(/\[(\d+)\]/g, '.$1')}`
}
