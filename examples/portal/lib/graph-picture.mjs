// An entity's neighbourhood as a picture: the engine's graph traversal
// (catalog.graph) drawn as SVG, one column per hop from the entity, one box
// per entity (each a link to its page; a ref that names no entity is drawn
// dashed, without a link), one arrow per followed relation (its type in a
// tooltip). The traversal and the depth are chosen with a small form (GET
// ?traversal=…&depth=…), as Backstage's catalog-graph card lets one choose.

import { html } from './html.mjs'
import { entityPath, parseRef, refLabel, relationLabel } from './refs.mjs'

export const TRAVERSALS = ['all', 'dependencies', 'dependents', 'owned', 'ancestry']
export const DEPTHS = [1, 2, 3]
/** Boxes drawn at most: the traversal stops there (its `limit`), and the page says so. */
export const MAX_NODES = 60

const BOX = { width: 190, height: 44, column: 250, row: 60, margin: 16 }

/** The traversal the page asks for (defaults: all relations, one hop), stopping at what it draws. */
export function graphOptions(url) {
  const traversal = url.searchParams.get('traversal')
  const depth = Number(url.searchParams.get('depth'))
  return {
    traversal: TRAVERSALS.includes(traversal) ? traversal : 'all',
    depth: DEPTHS.includes(depth) ? depth : 1,
    limit: MAX_NODES,
  }
}

/** Where each node goes: columns by hops, rows in ref order within a column. */
function layout(nodes) {
  const columns = new Map()
  for (const n of [...nodes].sort((a, b) => a.entityRef.localeCompare(b.entityRef))) {
    if (!columns.has(n.depth)) columns.set(n.depth, [])
    columns.get(n.depth).push(n)
  }
  const at = new Map()
  let rows = 1
  for (const [depth, column] of columns) {
    rows = Math.max(rows, column.length)
    column.forEach((n, i) => at.set(n.entityRef, { x: BOX.margin + depth * BOX.column, y: BOX.margin + i * BOX.row, node: n }))
  }
  const width = BOX.margin * 2 + Math.max(0, ...columns.keys()) * BOX.column + BOX.width
  const height = BOX.margin * 2 + (rows - 1) * BOX.row + BOX.height
  return { at, width, height }
}

function box({ x, y, node }, root) {
  const ref = node.entityRef
  const kind = (parseRef(ref) || { kind: '' }).kind
  const classes = ['node', ref === root ? 'root' : '', node.exists ? '' : 'missing'].filter(Boolean).join(' ')
  const shape = html`<g class="${classes}" data-ref="${ref}">
<rect x="${x}" y="${y}" width="${BOX.width}" height="${BOX.height}" rx="6"></rect>
<text x="${x + 10}" y="${y + 18}" class="name">${refLabel(ref)}</text>
<text x="${x + 10}" y="${y + 35}" class="kind">${kind}${node.exists ? '' : ' (not in the catalogue)'}</text>
</g>`
  return node.exists && ref !== root ? html`<a href="${entityPath(ref)}" aria-label="${refLabel(ref)}">${shape}</a>` : shape
}

function arrow(edge, at) {
  const from = at.get(edge.source)
  const to = at.get(edge.target)
  if (!from || !to) return ''
  const forward = to.x >= from.x
  const x1 = from.x + (forward ? BOX.width : 0)
  const x2 = to.x + (forward ? 0 : BOX.width)
  const y1 = from.y + BOX.height / 2
  const y2 = to.y + BOX.height / 2
  return html`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#arrow)"><title>${refLabel(edge.source)} ${relationLabel(edge.type).toLowerCase()} ${refLabel(edge.target)}</title></line>`
}

/** The section: the form, then the picture (or what was left out). */
export function graphSection(graph, url) {
  const { traversal, depth } = graphOptions(url)
  const { at, width, height } = layout(graph.nodes)
  const form = html`<form class="graph-options" method="get">
<label>Relations <select name="traversal">${TRAVERSALS.map((t) => html`<option value="${t}"${t === traversal ? html` selected` : ''}>${t}</option>`)}</select></label>
<label>Depth <select name="depth">${DEPTHS.map((d) => html`<option value="${d}"${d === depth ? html` selected` : ''}>${d}</option>`)}</select></label>
<button type="submit">Draw</button>
</form>`
  const picture =
    graph.nodes.length > 1
      ? html`<svg class="graph" role="img" aria-label="Relations of ${refLabel(graph.root)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"></path></marker></defs>
${graph.edges.map((e) => arrow(e, at))}
${graph.nodes.map((n) => box(at.get(n.entityRef), graph.root))}
</svg>`
      : html`<p>No relations to draw with these settings.</p>`
  const cut = graph.truncated ? html`<p class="hint graph-cut">Showing the first ${graph.nodes.length} entities reached; there are more. Choose fewer hops or one kind of relation.</p>` : ''
  return html`<section aria-labelledby="graph-title">
<h2 id="graph-title">Graph</h2>
${form}
<div class="graph-scroll">${picture}</div>
${cut}
</section>`
}
