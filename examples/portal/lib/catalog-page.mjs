// The catalogue home: full-text search, facet filters (kind, type, owner,
// lifecycle, tag) with counts, and cursor paging over any number of entities.
//
// URL: /?q=words&kind=component&type=service&owner=group:default/team-a
//        &lifecycle=production&tag=pci&limit=50&cursor=…&page=2
// Every filter is a plain GET parameter, so a filtered view is a link.

import { html } from './html.mjs'
import { layout } from './layout.mjs'
import { entityPath, refLabel, refOf } from './refs.mjs'

/** The facets: URL parameter, engine field, label. */
export const FACETS = [
  { param: 'kind', field: 'kind', label: 'Kind' },
  { param: 'type', field: 'spec.type', label: 'Type' },
  { param: 'owner', field: 'relations.ownedBy', label: 'Owner' },
  { param: 'lifecycle', field: 'spec.lifecycle', label: 'Lifecycle' },
  { param: 'tag', field: 'metadata.tags', label: 'Tag' },
]

/**
 * Values a filter lists at most, the most frequent (the engine's facet
 * `limit`): 5,000 owners would make a list no one reads, and a page whose
 * cost grows with them. A chosen value outside them is listed too.
 */
export const FACET_VALUES = 50

export const PAGE_SIZES = [25, 50, 100]
export const DEFAULT_PAGE_SIZE = 50

const FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.description',
  'metadata.tags',
  'spec.type',
  'spec.lifecycle',
  'relations',
]

/** The request's search state, read from the URL. */
export function readState(url) {
  const p = url.searchParams
  const filters = {}
  for (const f of FACETS) {
    const v = (p.get(f.param) || '').trim()
    if (v) filters[f.param] = v
  }
  const limit = PAGE_SIZES.includes(Number(p.get('limit'))) ? Number(p.get('limit')) : DEFAULT_PAGE_SIZE
  const page = Math.max(1, Number.parseInt(p.get('page') || '1', 10) || 1)
  return { q: (p.get('q') || '').trim(), filters, limit, cursor: p.get('cursor') || undefined, page }
}

/** A predicate for the chosen filters, leaving out `except` (for its own counts). */
export function predicateFor(filters, except) {
  const all = FACETS.filter((f) => f.param !== except && filters[f.param]).map((f) => ({ [f.field]: filters[f.param] }))
  return all.length ? { $all: all } : undefined
}

/** A URL with the current state changed by `changes` (null removes a parameter). */
function link(state, changes) {
  const params = new URLSearchParams()
  const merged = { q: state.q, ...state.filters, limit: state.limit === DEFAULT_PAGE_SIZE ? null : state.limit, ...changes }
  for (const [k, v] of Object.entries(merged)) {
    if (v !== null && v !== undefined && v !== '') params.set(k, String(v))
  }
  const s = params.toString()
  return s ? `/?${s}` : '/'
}

/** Fetch what the page shows: one query and one facet count per facet. */
export async function loadCatalog(platform, state) {
  const catalog = platform.catalog
  const [page, ...facetCounts] = await Promise.all([
    catalog.query({
      predicate: predicateFor(state.filters),
      text: state.q || undefined,
      fields: FIELDS,
      order: ['metadata.name'],
      limit: state.limit,
      cursor: state.cursor,
    }),
    ...FACETS.map((f) => catalog.facets(f.field, { predicate: predicateFor(state.filters, f.param), limit: FACET_VALUES })),
  ])
  return { page, facets: FACETS.map((f, i) => ({ ...f, counts: facetCounts[i] })) }
}

function ownerOf(item) {
  const rel = (item.relations || []).find((r) => r.type === 'ownedBy')
  return rel ? rel.targetRef : null
}

const KIND_NAMES = { api: 'API' }

function facetLabel(facet, value) {
  if (facet.param === 'owner') return refLabel(value)
  if (facet.param === 'kind') return KIND_NAMES[value] || value.charAt(0).toUpperCase() + value.slice(1)
  return value
}

/** Render the catalogue page. */
export function catalogPage(state, { page, facets }, feed) {
  const first = (state.page - 1) * state.limit + 1
  const last = first + page.items.length - 1
  const anyFilter = state.q || Object.keys(state.filters).length > 0
  const body = html`
<h1>Software catalogue</h1>
<form class="search" method="get" action="/" role="search" aria-label="Catalogue">
  <div class="search-row">
    <label for="q">Search</label>
    <input id="q" name="q" type="search" value="${state.q}" placeholder="Name, title, description or tag" autocomplete="off">
    <button type="submit">Search</button>
  </div>
  <fieldset class="facets">
    <legend>Filter</legend>
    ${facets.map(
      (f) => html`<div class="facet">
      <label for="f-${f.param}">${f.label}</label>
      <select id="f-${f.param}" name="${f.param}">
        <option value="">Any ${f.label.toLowerCase()}</option>
        ${f.counts.map(
          (c) =>
            html`<option value="${c.value}"${sameValue(state.filters[f.param], c.value) ? html` selected` : ''}>${facetLabel(f, c.value)} (${c.count})</option>`,
        )}
        ${chosenElsewhere(f, state) ? html`<option value="${state.filters[f.param]}" selected>${facetLabel(f, state.filters[f.param])}</option>` : ''}
        ${f.counts.length === FACET_VALUES ? html`<option disabled>(the ${FACET_VALUES} most frequent)</option>` : ''}
      </select>
    </div>`,
    )}
    <div class="facet">
      <label for="f-limit">Per page</label>
      <select id="f-limit" name="limit">
        ${PAGE_SIZES.map((n) => html`<option value="${n}"${n === state.limit ? html` selected` : ''}>${n}</option>`)}
      </select>
    </div>
    <button type="submit">Apply filters</button>
    ${anyFilter ? html`<a class="clear" href="/">Clear search and filters</a>` : ''}
  </fieldset>
  ${state.q ? html`<p class="hint">Counts in the filters count every entity matching the filters, whatever the search words.</p>` : ''}
</form>

<section aria-labelledby="results-title">
<h2 id="results-title">${page.total === 0 ? 'No entities found' : html`Entities ${first}–${last} of ${page.total}`}</h2>
${
  page.total === 0
    ? html`<p>Nothing matches${state.q ? html` “${state.q}”` : ''}. Try fewer words or <a href="/">clear the filters</a>.</p>`
    : html`<table class="results">
  <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Type</th><th scope="col">Owner</th><th scope="col">Lifecycle</th><th scope="col">Description</th><th scope="col">Tags</th></tr></thead>
  <tbody>
  ${page.items.map((e) => {
    const ref = refOf(e)
    const owner = ownerOf(e)
    const spec = e.spec || {}
    const md = e.metadata || {}
    return html`<tr>
    <td><a href="${entityPath(ref)}">${md.title || md.name}</a>${md.title ? html`<br><span class="name">${md.name}</span>` : ''}</td>
    <td>${e.kind}</td>
    <td>${spec.type || ''}</td>
    <td>${owner ? html`<a href="${entityPath(owner)}">${refLabel(owner)}</a>` : ''}</td>
    <td>${spec.lifecycle || ''}</td>
    <td>${md.description || ''}</td>
    <td>${(md.tags || []).map((t) => html`<a class="tag" href="${link(state, { tag: t, cursor: null, page: null })}">${t}</a> `)}</td>
  </tr>`
  })}
  </tbody>
</table>`
}
<nav class="pager" aria-label="Pages">
  ${state.page > 1 ? html`<a href="${link(state, { cursor: null, page: null })}">First page</a>` : ''}
  ${page.total > 0 ? html`<span>Page ${state.page} of ${Math.max(1, Math.ceil(page.total / state.limit))}</span>` : ''}
  ${page.nextCursor ? html`<a rel="next" href="${link(state, { cursor: page.nextCursor, page: state.page + 1 })}">Next page</a>` : ''}
</nav>
</section>`
  return layout({ title: state.q ? `“${state.q}”` : 'Catalogue', current: 'catalogue', body, feed })
}

/** A chosen value the facet's most frequent values leave out. */
function chosenElsewhere(facet, state) {
  const chosen = state.filters[facet.param]
  return Boolean(chosen) && !facet.counts.some((c) => sameValue(chosen, c.value))
}

function sameValue(a, b) {
  return typeof a === 'string' && a.toLowerCase() === String(b).toLowerCase()
}
