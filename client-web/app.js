// Placeholder page: shows whether the service answers. The web app replaces this file.
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

showStatus();
