// neurofed portal: autocomplete for the search box, from the API's /suggest (what the
// account may see). Everything else works without JavaScript.
(function () {
  const box = document.getElementById('q');
  const list = document.getElementById('suggestions');
  if (!box || !list) return;
  let timer = null;
  box.addEventListener('input', function () {
    clearTimeout(timer);
    const prefix = box.value.trim();
    if (prefix.length < 2) return;
    timer = setTimeout(function () {
      fetch('/api/v1/suggest?limit=8&prefix=' + encodeURIComponent(prefix), {credentials: 'same-origin'})
        .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
        .then(function (v) {
          list.replaceChildren();
          (v.suggestions || []).forEach(function (s) {
            const o = document.createElement('option');
            o.value = s;
            list.appendChild(o);
          });
          list.setAttribute('data-count', String((v.suggestions || []).length));
        });
    }, 150);
  });
})();

// Import: one upload per file to POST /api/v1/import, each with its progress bar and result.
(function () {
  const form = document.getElementById('import-form');
  if (!form) return;
  const files = document.getElementById('import-files');
  const folder = document.getElementById('import-folder');
  const zone = document.getElementById('dropzone');
  const rows = document.querySelector('#import-progress tbody');
  let dropped = [];
  zone.addEventListener('dragover', function (e) { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', function () { zone.classList.remove('over'); });
  zone.addEventListener('drop', function (e) {
    e.preventDefault(); zone.classList.remove('over');
    dropped = Array.from(e.dataTransfer.files);
    form.requestSubmit();
  });
  function send(file, study) {
    return new Promise(function (done) {
      const tr = document.createElement('tr');
      tr.className = 'upload';
      const name = document.createElement('td'); name.textContent = file.webkitRelativePath || file.name;
      const prog = document.createElement('td'); const bar = document.createElement('progress');
      bar.max = 100; bar.value = 0; prog.appendChild(bar);
      const res = document.createElement('td'); res.className = 'result'; res.textContent = 'waiting';
      tr.append(name, prog, res); rows.appendChild(tr);
      const x = new XMLHttpRequest();
      x.open('POST', '/api/v1/import?study=' + encodeURIComponent(study));
      x.setRequestHeader('content-type', file.name.toLowerCase().endsWith('.zip') ? 'application/zip' : 'application/octet-stream');
      x.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
      x.onload = function () {
        bar.value = 100;
        let v = {};
        try { v = JSON.parse(x.responseText); } catch (e) { v = {}; }
        if (x.status === 200) {
          res.textContent = (v.instances || 0) + ' instances, ' + (v.series || 0) + ' series, ' + (v.duplicates || 0) + ' already present';
          tr.classList.add('done');
        } else {
          res.textContent = (v.error && v.error.message) || ('HTTP ' + x.status);
          tr.classList.add('failed');
        }
        done();
      };
      x.onerror = function () { res.textContent = 'connection lost'; tr.classList.add('failed'); done(); };
      res.textContent = 'sending';
      x.send(file);
    });
  }
  form.addEventListener('submit', async function (e) {
    e.preventDefault();
    const study = document.getElementById('import-study').value;
    const list = dropped.length ? dropped : Array.from(files.files).concat(Array.from(folder.files));
    dropped = [];
    for (const f of list) { await send(f, study); }
    form.setAttribute('data-finished', String(list.length));
  });
})();

// Slices: the slider swaps the image without reloading the page.
(function () {
  const range = document.getElementById('slice-range');
  const img = document.getElementById('slice-image');
  const out = document.getElementById('slice-number');
  if (!range || !img) return;
  range.addEventListener('input', function () {
    img.src = range.getAttribute('data-src') + range.value;
    img.alt = 'slice ' + range.value;
    if (out) out.textContent = range.value;
  });
})();

// Selection download: the selected datasets as one zip, with a progress bar (bytes received
// of the bytes the node announced), then saved by the browser.
(function () {
  const form = document.getElementById('selection-form');
  if (!form) return;
  const all = document.getElementById('select-all');
  const bar = document.getElementById('selection-progress');
  const status = document.getElementById('selection-status');
  if (all) all.addEventListener('change', function () {
    form.querySelectorAll('input[name=dataset]').forEach(function (c) { c.checked = all.checked; });
  });
  form.addEventListener('submit', async function (e) {
    const picked = Array.from(form.querySelectorAll('input[name=dataset]:checked'));
    if (!picked.length) { e.preventDefault(); status.textContent = 'Select at least one dataset.'; return; }
    if (!window.ReadableStream || !bar) return; // the browser downloads it itself
    e.preventDefault();
    const q = new URLSearchParams(new FormData(form));
    status.textContent = 'Preparing ' + picked.length + ' datasets...';
    const r = await fetch(form.action + '?' + q.toString(), {credentials: 'same-origin'});
    if (!r.ok) {
      let m = 'HTTP ' + r.status;
      try { const v = await r.json(); m = (v.error && v.error.message) || m; } catch (x) {}
      status.textContent = m; form.setAttribute('data-failed', '1'); return;
    }
    const total = Number(r.headers.get('x-neurofed-bytes') || 0);
    const reader = r.body.getReader();
    const parts = []; let got = 0;
    bar.hidden = false; bar.max = Math.max(total, 1); bar.value = 0;
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      parts.push(value); got += value.length; bar.value = Math.min(got, bar.max);
      status.textContent = Math.round(got / 1048576 * 10) / 10 + ' MB received';
    }
    bar.value = bar.max;
    const url = URL.createObjectURL(new Blob(parts, {type: 'application/zip'}));
    const a = document.createElement('a');
    a.href = url; a.download = 'neurofed-selection.zip'; document.body.appendChild(a); a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 60000);
    status.textContent = picked.length + ' datasets, ' + got + ' bytes downloaded';
    form.setAttribute('data-downloaded', String(got));
  });
})();
