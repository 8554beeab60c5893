// Golden paths in the browser (lib/paths-page.mjs draws the pages):
//
// - A template's form: each parameter page is drawn by JSON Editor
//   (@json-editor/json-editor, /static/jsoneditor.js) from the page's JSON
//   Schema (lib/paths-form.mjs turned Backstage's ui:* hints into its
//   keywords), one page at a time with Back and Next; a page must pass the
//   schema before the next. Preview sends every page's answers as JSON in
//   the form's `parameters` field (empty answers left out, as
//   react-jsonschema-form does, so `required` means answered). The
//   engine's problems with the answers come back with the page and are
//   shown beside their fields until the field is changed.
// - A run's page while it runs: its progress as server-sent events
//   (/paths/runs/:id/events), each step's status as it changes; at the end
//   the page is drawn again with the outcome.
'use strict'
;(function () {
  var data = document.getElementById('path-form-data')
  if (data && window.JSONEditor) pathForm(document.getElementById('path-form'), JSON.parse(data.textContent))
  var progress = document.getElementById('run-progress')
  if (progress && progress.getAttribute('data-status') === 'running' && window.EventSource) follow(progress)

  // ---- the form ------------------------------------------------------------

  /**
   * The html theme, except that it keeps the page's content security
   * policy (no style attributes: visually hidden text gets a class), shows
   * descriptions as text, never as markup, and says nothing against an
   * empty field but the engine's word: an empty answer is sent as no
   * answer, and whether one is needed is the engine's to say (a pattern
   * does not apply to what is not there).
   * `engineSays(path)`: the engine's messages for a field, if any.
   */
  function portalTheme(engineSays) {
    var Html = window.JSONEditor.defaults.themes.html
    class PortalTheme extends Html {
      addInputError(input, text) {
        if (input && input.value === '') {
          var holder = input.closest('[data-schemapath]')
          var said = holder && engineSays(holder.getAttribute('data-schemapath'))
          if (!said) return this.removeInputError(input)
          text = said.join('. ') + '.'
        }
        super.addInputError(input, text)
        // Said to assistive technology too: the field is invalid, and why.
        if (input.errmsg) {
          input.errmsg.id = input.errmsg.id || (input.id || input.name) + '-error'
          var described = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
          if (described.indexOf(input.errmsg.id) < 0) described.push(input.errmsg.id)
          input.setAttribute('aria-describedby', described.join(' '))
        }
        input.setAttribute('aria-invalid', 'true')
      }
      removeInputError(input) {
        super.removeInputError(input)
        if (input && input.removeAttribute) input.removeAttribute('aria-invalid')
      }
      getDescription(text) {
        var el = document.createElement('p')
        el.textContent = text
        return el
      }
      visuallyHidden(el) {
        if (el && el.classList) el.classList.add('je-visually-hidden')
      }
      getHiddenLabel(text) {
        var el = document.createElement('label')
        el.textContent = text
        el.classList.add('je-visually-hidden')
        return el
      }
      getHiddenText(text) {
        var el = document.createElement('span')
        el.textContent = text
        el.classList.add('je-visually-hidden')
        return el
      }
    }
    window.JSONEditor.defaults.themes.portal = PortalTheme
    return 'portal'
  }

  /** Answers as the engine takes them: empty strings and empty objects left out. */
  function prune(value) {
    if (Array.isArray(value)) return value.map(prune)
    if (value && typeof value === 'object') {
      var out = {}
      Object.keys(value).forEach(function (k) {
        var v = prune(value[k])
        if (v === undefined || v === null || v === '') return
        if (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length) return
        out[k] = v
      })
      return out
    }
    return value
  }

  function same(a, b) {
    return JSON.stringify(a === '' ? undefined : a) === JSON.stringify(b === '' ? undefined : b)
  }

  /** Page `i`'s editor path for a form path: `root.name` -> `page1.name` (each page's editor has its own root). */
  function onPage(path, i) {
    return path.replace(/^root(?=\.|$)/, 'page' + i)
  }

  /** The value at an editor path (`page1.a.b`) of `values`. */
  function at(values, path) {
    var parts = path.split('.').slice(1)
    var v = values
    for (var i = 0; i < parts.length; i++) {
      if (v === null || typeof v !== 'object') return undefined
      v = v[parts[i]]
    }
    return v
  }

  function pathForm(form, data) {
    var pages = data.pages
    var sections = form.querySelectorAll('section.form-page')
    var steps = form.querySelectorAll('.form-steps li')
    var raw = form.querySelector('textarea[name="parameters"]')
    var back = form.querySelector('[data-action="back"]')
    var next = form.querySelector('[data-action="next"]')
    var preview = form.querySelector('[data-action="preview"]')
    var submitted = data.values || {}
    // The engine's problems by json-editor path, shown while the field
    // still holds what was sent.
    var engine = {}
    data.errors.forEach(function (e) {
      if (e.path) (engine[e.path] = engine[e.path] || []).push(e.message)
    })
    var theme = portalTheme(function (path) {
      var m = /^page(\d+)(\..*)$/.exec(path || '')
      var messages = m && engine['root' + m[2]]
      if (!messages) return null
      var editor = editors[Number(m[1])]
      var field = editor && editor.ready && editor.getEditor(path)
      return same(field ? field.getValue() : '', at(submitted, path)) ? messages : null
    })
    var current = 0
    var firstError = data.errors.filter(function (e) {
      return e.page !== null
    })[0]
    if (firstError) current = firstError.page
    form.querySelector('.raw-parameters').hidden = true

    var editors = pages.map(function (page, i) {
      var holder = form.querySelector('.form-editor[data-page="' + i + '"]')
      var mine = {}
      Object.keys(engine).forEach(function (path) {
        mine[onPage(path, i)] = engine[path]
      })
      var editor = new window.JSONEditor(holder, {
        schema: page.schema,
        theme: theme,
        disable_theme_rules: true,
        disable_collapse: true,
        disable_edit_json: true,
        disable_properties: true,
        disable_array_delete_all_rows: true,
        disable_array_delete_last_row: true,
        no_additional_properties: true,
        prompt_before_delete: false,
        show_errors: 'interaction',
        form_name_root: 'page' + i,
        custom_validators: [
          function (schema, value, path) {
            var messages = mine[path]
            if (!messages || !same(value, at(submitted, path))) return []
            return messages.map(function (m) {
              return { path: path, property: 'engine', message: m }
            })
          },
        ],
      })
      editor.on('ready', function () {
        // The answers given before (a page drawn again with the engine's
        // problems), field by field: the other fields keep their defaults.
        page.fields.forEach(function (f) {
          var field = editor.getEditor('page' + i + '.' + f)
          if (field && submitted[f] !== undefined) field.setValue(submitted[f])
        })
        Object.keys(page.help).forEach(function (path) {
          var field = editor.getEditor(onPage(path, i))
          if (!field || !field.container) return
          var help = document.createElement('p')
          help.className = 'je-help'
          help.textContent = page.help[path]
          field.container.appendChild(help)
        })
        if (data.errors.length) editor.showValidationErrors(editor.validate(editor.getValue()))
        holder.setAttribute('data-ready', 'true')
        if (editors.every(function (e) { return e.ready })) {
          form.setAttribute('data-ready', 'true')
          focusFirstError()
        }
      })
      editor.on('change', sync)
      return editor
    })

    function answers() {
      var all = {}
      editors.forEach(function (e) {
        if (e.ready) Object.assign(all, e.getValue())
      })
      return prune(all)
    }

    function sync() {
      raw.value = JSON.stringify(answers(), null, 2)
    }

    function show(i) {
      current = i
      for (var k = 0; k < sections.length; k++) sections[k].hidden = k !== i
      for (var s = 0; s < steps.length; s++) {
        if (s === i) steps[s].setAttribute('aria-current', 'step')
        else steps[s].removeAttribute('aria-current')
        steps[s].classList.toggle('done', s < i)
      }
      back.hidden = i === 0
      next.hidden = i >= pages.length - 1
      preview.hidden = i < pages.length - 1
    }

    /** Whether page `i` passes its schema; if not, its problems are shown. */
    function pageOk(i) {
      var editor = editors[i]
      if (!editor || !editor.ready) return true
      var value = editor.getValue()
      // Empty answers are no answers: the engine judges whether one is needed.
      var errors = editor.validate(value).filter(function (e) {
        return e.property === 'engine' || at(value, e.path) !== ''
      })
      if (!errors.length) return true
      editor.showValidationErrors(errors)
      focusFirstError()
      return false
    }

    function focusFirstError() {
      var section = sections[current]
      var bad = section && section.querySelector('.errmsg[role="alert"]:not([style*="none"])')
      var control = bad && bad.closest('.form-control')
      var input = control && control.querySelector('input, select, textarea')
      if (input) input.focus()
    }

    back.addEventListener('click', function () {
      if (current > 0) show(current - 1)
    })
    next.addEventListener('click', function () {
      if (pageOk(current)) show(current + 1)
    })
    form.addEventListener('submit', function (e) {
      for (var i = 0; i < editors.length; i++) {
        if (!pageOk(i)) {
          show(i)
          pageOk(i)
          e.preventDefault()
          return
        }
      }
      sync()
    })
    if (pages.length) show(current)
  }

  // ---- a run as it runs ------------------------------------------------------

  var STEP_STATUS = { pending: 'waiting', skipped: 'skipped', started: 'running', done: 'done', failed: 'failed', undone: 'rolled back' }

  function follow(section) {
    var id = section.getAttribute('data-run')
    var log = section.querySelector('.run-log')
    var source = new EventSource('/paths/runs/' + encodeURIComponent(id) + '/events')
    section.setAttribute('data-live', 'connecting')
    source.addEventListener('open', function () {
      section.setAttribute('data-live', 'live')
    })
    source.addEventListener('progress', function (e) {
      var p
      try {
        p = JSON.parse(e.data)
      } catch (err) {
        return
      }
      if (p.status === 'finished') {
        source.close()
        section.setAttribute('data-live', 'finished')
        // Drawn again with the outcome (once: a record that still says
        // running after its end is shown as it is).
        if (!/[?&]ended=1/.test(window.location.search)) window.location.replace(window.location.pathname + '?ended=1')
        return
      }
      if (p.status === 'log') {
        var line = document.createElement('li')
        line.textContent = p.message
        log.appendChild(line)
        return
      }
      var item = p.step && section.querySelector('li.run-step[data-step="' + CSS.escape(p.step) + '"]')
      if (!item) return
      item.setAttribute('data-status', p.status)
      item.className = 'run-step status-' + p.status
      item.querySelector('.step-status').textContent = STEP_STATUS[p.status] || p.status
      if (p.status === 'failed' && p.message && !item.querySelector('.step-error')) {
        var error = document.createElement('p')
        error.className = 'step-error'
        error.textContent = p.message
        item.appendChild(error)
      }
    })
  }
})()
