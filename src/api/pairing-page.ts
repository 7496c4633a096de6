import { inlinePageCsp } from './inline-page-csp';

/**
 * The page that links a WhatsApp Web number (`GET /connections/pair#id=<connection id>&key=<API key>`):
 * it asks
 * `GET /v1/connections/:id/pairing` every 2 s with the company's key and shows the current QR
 * (WhatsApp rotates it) until the phone links the number, then says so. Like the progress page:
 * one self-contained document, its own inline script and style only (CSP hashes), the key from the
 * URL fragment (`#key=dsp_…`, never sent to the server) or the form, kept in sessionStorage, and
 * everything shown through textContent or an <img> of the SVG the API drew. The connection's id is in
 * the fragment too: the page is the same static document for every number (the server, without
 * the key, could not tell whose number an id is).
 */
const STYLE = `
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:#f6f7f9; color:#1d2433; }
header { padding:14px 24px; background:#16213a; color:#fff; } header h1 { font-size:18px; margin:0; font-weight:600; }
main { max-width:560px; margin:24px auto; padding:0 24px; }
section { background:#fff; border:1px solid #e3e6ec; border-radius:10px; padding:18px; }
#qr { display:block; width:280px; height:280px; margin:12px auto; image-rendering:pixelated; }
.status { font-weight:600; } .muted { color:#6b7385; } .error { color:#d64545; }
.code { font:600 28px/1.2 ui-monospace, monospace; letter-spacing:.15em; text-align:center; margin:12px 0; }
form { display:flex; gap:8px; } input { flex:1; padding:8px 10px; border:1px solid #e3e6ec; border-radius:6px; font:inherit; }
button { padding:8px 14px; border:none; border-radius:6px; background:#2f6fde; color:#fff; font:inherit; cursor:pointer; }
[hidden] { display:none !important; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var key = null, timer = null;
  var params = new URLSearchParams(location.hash.slice(1));
  var id = /^[a-f0-9]{24}$/.test(params.get('id') || '') ? params.get('id') : null;
  function $(name) { return document.getElementById(name); }
  function show(name, text) { $(name).textContent = text; }
  function poll() {
    fetch('/v1/connections/' + id + '/pairing', { headers: { authorization: 'Bearer ' + key } })
      .then(function (answer) { return answer.json().then(function (body) { return { ok: answer.ok, body: body }; }); })
      .then(function (result) {
        if (!result.ok) { show('status', result.body.detail || result.body.title || 'error'); return; }
        var pairing = result.body;
        $('signin').hidden = true; $('pairing').hidden = false;
        if (pairing.status === 'connected') {
          show('status', 'Linked: the number is connected.'); $('qr').hidden = true; $('hint').hidden = true; stop(); return;
        }
        if (pairing.status !== 'pairing') { show('status', 'The connection is ' + pairing.status + '.'); $('qr').hidden = true; return; }
        show('status', pairing.qrSvg ? 'Scan this QR with WhatsApp on the phone' : 'Waiting for WhatsApp to issue a QR…');
        if (pairing.qrSvg) { $('qr').src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(pairing.qrSvg); $('qr').hidden = false; }
        show('rotations', pairing.qrRotations ? 'QR ' + pairing.qrRotations + ' (it changes about every 20 s)' : '');
        $('code').hidden = !pairing.code; show('code', pairing.code || '');
        show('pairing-error', pairing.error || '');
      })
      .catch(function (error) { show('status', 'cannot reach the API: ' + error.message); });
  }
  function stop() { if (timer) clearInterval(timer); timer = null; }
  function start(value) {
    key = value; sessionStorage.setItem('disparo.key', key);
    stop(); poll(); timer = setInterval(poll, 2000);
  }
  var fragment = params.get('key');
  // The key leaves the address bar at once; the id stays (a reload keeps showing this number).
  if (fragment) history.replaceState(null, '', location.pathname + location.search + (id ? '#id=' + id : ''));
  if (!id) { $('signin').hidden = true; $('pairing').hidden = false; show('status', 'Open this page as /connections/pair#id=<connection id>&key=<API key>.'); return; }
  var stored = fragment || sessionStorage.getItem('disparo.key');
  $('signin').addEventListener('submit', function (event) { event.preventDefault(); start($('key-input').value.trim()); });
  if (stored) start(stored); else $('signin').hidden = false;
})();
`;

const BODY = `
<header><h1>Disparo · link a WhatsApp number</h1></header>
<main>
  <form id="signin" hidden><input id="key-input" type="password" autocomplete="off" placeholder="dsp_…" aria-label="API key"><button type="submit">Show QR</button></form>
  <section id="pairing" hidden>
    <div class="status" id="status">…</div>
    <img id="qr" alt="WhatsApp pairing QR" hidden>
    <div class="code" id="code" hidden></div>
    <div class="muted" id="rotations"></div>
    <p class="muted" id="hint">On the phone: WhatsApp › Settings › Linked devices › Link a device.</p>
    <div class="error" id="pairing-error"></div>
  </section>
</main>
`;

export const PAIRING_PAGE = {
  html: `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Disparo · link a WhatsApp number</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`,
  contentSecurityPolicy: inlinePageCsp({ script: SCRIPT, style: STYLE }),
};
