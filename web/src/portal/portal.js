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
