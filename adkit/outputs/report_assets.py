"""The report's inline style and script: the page must work offline, from a file:// URL."""

STYLE = """
body{font-family:sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse;margin-bottom:1em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}
td.l,th.l{text-align:left}
th.sortable{cursor:pointer;background:#eef;user-select:none}
th.sortable:after{content:" \\2195";color:#889}
th[aria-sort=ascending]:after{content:" \\2191"}
th[aria-sort=descending]:after{content:" \\2193"}
.warn{background:#fdd;border:2px solid #c00;padding:8px}
.partial{background:#ffd;border:2px solid #c90;padding:8px}
.kind{font-weight:bold;white-space:nowrap}
.flag{color:#b00}
code{white-space:pre-wrap;word-break:break-all}
"""

# Sorting: a click on a sortable header sorts its table's body by that column (numbers by
# their data-v value), again to reverse. Filtering: rows whose text and data-search (the
# tasks where points were lost, the flags) lack any of the filter's words are hidden; the
# "needs attention" box keeps flagged rows only.
SCRIPT = """
(function () {
  function key(row, i) {
    var cell = row.cells[i];
    var v = cell.getAttribute('data-v');
    return v === null ? cell.textContent.trim().toLowerCase() : parseFloat(v);
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      th.classList.add('sortable');
      th.addEventListener('click', function () {
        var up = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a, i), y = key(b, i);
          var c = x < y ? -1 : x > y ? 1 : 0;
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var box = document.getElementById('filter');
  var only = document.getElementById('only-flagged');
  var count = document.getElementById('shown');
  function filter() {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var rows = document.querySelectorAll('#students tbody tr');
    var shown = 0;
    rows.forEach(function (row) {
      var text = (row.textContent + ' ' + (row.getAttribute('data-search') || ''))
        .toLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
      if (only.checked && !row.hasAttribute('data-flagged')) { ok = false; }
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + ' of ' + rows.length + ' shown';
  }
  if (box) { box.addEventListener('input', filter); only.addEventListener('change', filter);
             filter(); }
})();
"""
