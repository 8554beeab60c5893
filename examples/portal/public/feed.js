// Keeps the "Recent changes" list (#feed) live: listens to /events (server-sent
// events) and adds each change at the top. Without JavaScript the list is
// still there, as rendered by the server.
'use strict'
;(function () {
  var list = document.getElementById('feed')
  if (!list || !window.EventSource) return
  var MAX = list.classList.contains('changes') ? 100 : 20
  function time(at) {
    var m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(at || '')
    return m ? m[1] + ' ' + m[2] + ' UTC' : at
  }
  function text(tag, cls, value) {
    var el = document.createElement(tag)
    if (cls) el.className = cls
    el.textContent = value
    return el
  }

  function add(item) {
    if (list.querySelector('li[data-seq="' + item.seq + '"]')) return
    var li = document.createElement('li')
    li.setAttribute('data-seq', String(item.seq))
    li.className = 'new'
    // The server says what to show and where it links (lib/feed.mjs toItem).
    var subject = text(item.href ? 'a' : 'span', 'subject', item.label)
    if (item.href) subject.href = item.href
    li.appendChild(subject)
    li.appendChild(document.createTextNode(' '))
    li.appendChild(text('span', 'verb', item.verb))
    li.appendChild(document.createTextNode(' by '))
    li.appendChild(text('span', 'actor', item.actor))
    li.appendChild(document.createTextNode(' '))
    var t = text('time', '', time(item.at))
    t.setAttribute('datetime', item.at)
    li.appendChild(t)
    list.insertBefore(li, list.firstChild)
    while (list.children.length > MAX) list.removeChild(list.lastChild)
  }

  // The newest item the page was drawn with: the stream starts after it.
  var after = 0
  var drawn = list.querySelectorAll('li[data-seq]')
  for (var i = 0; i < drawn.length; i++) after = Math.max(after, Number(drawn[i].getAttribute('data-seq')) || 0)
  var source = new EventSource('/events?after=' + after)
  source.addEventListener('change', function (e) {
    try {
      add(JSON.parse(e.data))
    } catch (err) {
      /* a malformed message is skipped */
    }
  })
  document.documentElement.setAttribute('data-feed', 'connecting')
  source.addEventListener('open', function () {
    document.documentElement.setAttribute('data-feed', 'live')
  })
})()
