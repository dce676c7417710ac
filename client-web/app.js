// Placeholder page: shows whether the service answers and, after a login, who is logged in
// (from the WebSocket's welcome event). The web app replaces this file.
'use strict';

async function showStatus() {
  const el = document.getElementById('status');
  try {
    const res = await fetch('/api/v1/health', { cache: 'no-store' });
    const body = await res.json();
    el.textContent = body.status === 'ok'
      ? 'Palvelu toimii · Tjänsten fungerar · The service is running'
      : 'Palvelussa on häiriö · Störning · The service has a problem';
    el.classList.toggle('down', body.status !== 'ok');
  } catch (e) {
    el.textContent = 'Palveluun ei saada yhteyttä · Ingen anslutning · Cannot reach the service';
    el.classList.add('down');
  }
}

// Opens the advice.v1 WebSocket with the session cookie, if there is one: the server refuses the
// upgrade without a session, and then nothing is shown.
function showSession() {
  const el = document.getElementById('session');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(scheme + '//' + location.host + '/ws', 'advice.v1');
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type !== 'event' || msg.event !== 'welcome') return;
    el.textContent = 'Kirjautunut · Inloggad · Logged in: ' + msg.role;
    el.hidden = false;
  });
}

showStatus();
showSession();
