// server.mjs - the durable peer of the benchmark (deploy/dev/bench.sh): a Node.js `ws` server
// speaking just enough of advice.v1 for the load generator (tests/bench/advice_bench.c), doing
// per message what adviced must do in production, minus TLS:
//
//  * a session for every request: POST /api/v1/login/citizen makes one (a cookie -> session
//    map with expiry; the ID token is taken on trust, as logins happen before any measured
//    window), the WebSocket upgrade is refused without a live one, and every request and chunk
//    checks it again (an expired session gets an error, not an ack);
//  * the citizen's device key arrives through the same request the generator sends adviced
//    (identity.add or device.add with a device certificate, whose signature is checked);
//  * thread.open and message.send carry an envelope (proto/CRYPTO-FORMATS.md) that must be of
//    the request's thread, the thread the caller's, and the Ed25519 signature over exactly what
//    advice_envelope_verify checks ("QA-v1-msg" || the 130-byte header || BLAKE2b-512 of the
//    ciphertext) must verify under one of the caller's devices; a bad one gets an error;
//  * the request is appended to a log file and answered "ok" only after the fdatasync that
//    covers it (group commit: the requests that arrive while one fdatasync runs share the
//    next one). A message.send is then delivered as message.new to every connection of the
//    same citizen (its own included), as adviced does. A binary message (an attachment chunk)
//    is appended the same way and acknowledged with a file.chunk event after its fdatasync.
//
//   node server.mjs PORT LOGFILE
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const fd = fs.openSync(process.argv[3], 'w');
const COOKIE = '__Host-advice';
const SESSION_MS = 8 * 3600 * 1000;

// Formats of proto/CRYPTO-FORMATS.md: the object prefix "QA", version 1, type, suite 1, 0.
const prefixOk = (b, type) => b[0] === 0x51 && b[1] === 0x41 && b[2] === 1 && b[3] === type && b[4] === 1 && b[5] === 0;
const DEVICE_CERT = { type: 9, bytes: 206, idSign: 6, devSign: 70, sig: 142, ctx: Buffer.from('QA-v1-device') };
const ENVELOPE = { type: 1, header: 130, abytes: 16, pad: 256, sig: 64, max: 32768, thread: 6, sender: 42 };
ENVELOPE.min = ENVELOPE.header + ENVELOPE.abytes + ENVELOPE.pad + ENVELOPE.sig;
const MSG_CTX = Buffer.from('QA-v1-msg');

const sessions = new Map(); // cookie -> { user, expires }
const users = new Map(); // user -> { devices: [{ key, kid }], sockets: Set }
const threads = new Map(); // thread id (hex) -> user
let pending = []; // { ws, req, line }
let flushing = false;
let seq = 0;

const ed25519Key = (raw) => crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });

function userOf(name) {
	if (!users.has(name)) users.set(name, { devices: [], sockets: new Set() });
	return users.get(name);
}

// The live session of a cookie value, or null (an expired one is forgotten).
function sessionOf(cookie) {
	const s = sessions.get(cookie);
	if (s && s.expires > Date.now()) return s;
	sessions.delete(cookie);
	return null;
}

function cookieOf(header) {
	for (const part of (header || '').split(';')) {
		const [k, v] = part.trim().split('=');
		if (k === COOKIE) return v;
	}
	return '';
}

// A device certificate whose identity signature verifies: its device signing key, else null.
function deviceKey(b64) {
	const c = Buffer.from(b64 || '', 'base64url');
	const d = DEVICE_CERT;
	if (c.length !== d.bytes || !prefixOk(c, d.type)) return null;
	const signed = Buffer.concat([d.ctx, c.subarray(0, d.sig)]);
	if (!crypto.verify(null, signed, ed25519Key(c.subarray(d.idSign, d.idSign + 32)), c.subarray(d.sig))) return null;
	return ed25519Key(c.subarray(d.devSign, d.devSign + 32));
}

// Whether `body` is an envelope of `thread` signed by one of the user's devices. The sender
// kid (BLAKE2b-128 of the key, which node:crypto cannot compute) is learnt from a device's
// first verified envelope and then compared before the signature check, as adviced does.
function envelopeOk(body, thread, user) {
	const e = Buffer.from(body || '', 'base64url');
	const E = ENVELOPE;
	if (e.length < E.min || e.length > E.max || !prefixOk(e, E.type)) return false;
	const ctlen = e.length - E.header - E.sig;
	if ((ctlen - E.abytes) % E.pad !== 0 || e.toString('hex', E.thread, E.thread + 16) !== thread) return false;
	const kid = e.subarray(E.sender, E.sender + 16);
	const cth = crypto.createHash('blake2b512').update(e.subarray(E.header, E.header + ctlen)).digest();
	const signed = Buffer.concat([MSG_CTX, e.subarray(0, E.header), cth]);
	for (const dev of user.devices) {
		if (dev.kid && !dev.kid.equals(kid)) continue;
		if (crypto.verify(null, signed, dev.key, e.subarray(E.header + ctlen))) {
			dev.kid = Buffer.from(kid);
			return true;
		}
	}
	return false;
}

function flush() {
	if (flushing || pending.length === 0) return;
	flushing = true;
	const batch = pending;
	pending = [];
	const buf = Buffer.concat(batch.map((p) => (typeof p.line === 'string' ? Buffer.from(p.line) : p.line)));
	fs.write(fd, buf, (err) => {
		if (err) throw err;
		fs.fdatasync(fd, (err2) => {
			if (err2) throw err2;
			for (const p of batch) answer(p);
			flushing = false;
			flush();
		});
	});
}

const send = (ws, o) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(o));
const fail = (ws, req, code) => send(ws, { type: 'error', id: req.id, code });

// The durable answer, after the fdatasync that covers the request.
function answer(p) {
	const { ws, req } = p;
	if (req.type === 'chunk') return send(ws, { type: 'event', event: 'file.chunk', index: req.index, code: 'ok' });
	const thread = req.thread || '0'.repeat(32);
	seq += 1;
	send(ws, { type: 'ok', id: req.id, thread, seq, state: 'new' });
	if (req.type !== 'message.send') return;
	const ev = JSON.stringify({ type: 'event', event: 'message.new', thread, seq, role: 'citizen', time: Date.now(), body: req.body });
	for (const other of users.get(ws.user).sockets) if (other.readyState === other.OPEN) other.send(ev);
}

// One request of a connection whose session is live: refused, answered at once, or queued
// for the next group commit.
function request(ws, data, user) {
	let req;
	try {
		req = JSON.parse(data);
	} catch {
		return;
	}
	switch (req.type) {
		case 'identity.add':
		case 'device.add': {
			const key = deviceKey(req.cert);
			if (!key) return fail(ws, req, 'bad_request');
			user.devices.push({ key, kid: null });
			break;
		}
		case 'thread.prepare':
			return send(ws, { type: 'ok', id: req.id, thread: crypto.randomBytes(16).toString('hex'), share: crypto.randomBytes(32).toString('base64url') });
		case 'thread.open':
			if (threads.has(req.thread)) return fail(ws, req, 'conflict');
			if (!envelopeOk(req.body, req.thread, user)) return fail(ws, req, 'forbidden');
			threads.set(req.thread, ws.user);
			break;
		case 'message.send':
			if (threads.get(req.thread) !== ws.user) return fail(ws, req, 'not_found');
			if (!envelopeOk(req.body, req.thread, user)) return fail(ws, req, 'forbidden');
			break;
		default:
			break;
	}
	pending.push({ ws, req, line: `${data}\n` });
	flush();
}

const server = http.createServer((req, res) => {
	if (req.method !== 'POST' || req.url !== '/api/v1/login/citizen') {
		res.writeHead(404);
		return res.end();
	}
	let body = '';
	req.on('data', (d) => (body += d));
	req.on('end', () => {
		let user;
		try {
			const token = JSON.parse(body).id_token;
			const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
			user = String(claims.sub || token);
		} catch {
			res.writeHead(400, { 'content-type': 'application/json' });
			return res.end('{"type":"error","code":"bad_request"}');
		}
		const cookie = crypto.randomBytes(32).toString('base64url');
		sessions.set(cookie, { user, expires: Date.now() + SESSION_MS });
		userOf(user);
		res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': `${COOKIE}=${cookie}; Path=/; Secure; HttpOnly; SameSite=Strict` });
		res.end('{"type":"ok"}');
	});
});
const wss = new WebSocketServer({
	server,
	handleProtocols: (protocols) => (protocols.has('advice.v1') ? 'advice.v1' : false),
	verifyClient: (info) => sessionOf(cookieOf(info.req.headers.cookie)) !== null,
});
wss.on('connection', (ws, req) => {
	ws.cookie = cookieOf(req.headers.cookie);
	ws.user = sessionOf(ws.cookie).user;
	const user = userOf(ws.user);
	user.sockets.add(ws);
	ws.on('close', () => user.sockets.delete(ws));
	send(ws, { type: 'event', event: 'welcome', protocol: 'advice.v1' });
	ws.on('message', (data, isBinary) => {
		if (sessionOf(ws.cookie) === null) return ws.close(4001, 'session ended'); // ADVICE_CLOSE_SESSION_ENDED, as adviced
		if (!isBinary) return request(ws, data, user);
		// An attachment chunk: "QC", version, 0, file id (16), index (u32 LE), ciphertext.
		const index = data.readUInt32LE(20);
		pending.push({ ws, req: { type: 'chunk', index }, line: data.subarray(24) });
		flush();
	});
});
server.listen(port, '127.0.0.1');
