// server.mjs - the durable peer of the benchmark (deploy/dev/bench.sh): a Node.js `ws` server
// speaking just enough of advice.v1 for the load generator. It greets each connection with the
// welcome event, appends every request to a log file, and answers "ok" only after the
// fdatasync that covers it (group commit: the requests that arrive while one fdatasync runs
// share the next one). A message.send is also delivered as message.new to every
// connection of the same session cookie (its own included), after the commit, as the real
// server does. A binary message (an attachment chunk) is appended the same way and
// acknowledged with a file.chunk event after its fdatasync.
//
//   node server.mjs PORT LOGFILE
import fs from 'node:fs';
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const fd = fs.openSync(process.argv[3], 'w');
let pending = []; // { ws, req, line }
let flushing = false;
let seq = 0;
const bySession = new Map(); // cookie -> Set of sockets

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

function answer(p) {
	const { ws, req } = p;
	if (req.type === 'chunk') {
		if (ws.readyState === ws.OPEN)
			ws.send(JSON.stringify({ type: 'event', event: 'file.chunk', index: req.index, code: 'ok' }));
		return;
	}
	const thread = req.thread || '0'.repeat(32);
	seq += 1;
	if (ws.readyState === ws.OPEN)
		ws.send(JSON.stringify({ type: 'ok', id: req.id, thread, seq, state: 'new' }));
	if (req.type !== 'message.send') return;
	const ev = JSON.stringify({ type: 'event', event: 'message.new', thread, seq, role: 'citizen',
		time: Date.now(), body: req.body });
	for (const other of bySession.get(ws.cookie) || []) if (other.readyState === other.OPEN) other.send(ev);
}

const server = http.createServer((req, res) => {
	res.writeHead(404);
	res.end();
});
const wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has('advice.v1') ? 'advice.v1' : false) });
wss.on('connection', (ws, req) => {
	ws.cookie = req.headers.cookie || `anon${Math.random()}`;
	if (!bySession.has(ws.cookie)) bySession.set(ws.cookie, new Set());
	bySession.get(ws.cookie).add(ws);
	ws.on('close', () => bySession.get(ws.cookie).delete(ws));
	ws.send(JSON.stringify({ type: 'event', event: 'welcome', protocol: 'advice.v1' }));
	ws.on('message', (data, isBinary) => {
		if (isBinary) {
			// An attachment chunk: "QC", version, 0, file id (16), index (u32 LE), ciphertext.
			const index = data.readUInt32LE(20);
			pending.push({ ws, req: { type: 'chunk', index }, line: data.subarray(24) });
			flush();
			return;
		}
		let req;
		try {
			req = JSON.parse(data);
		} catch {
			return;
		}
		pending.push({ ws, req, line: `${data}\n` });
		flush();
	});
});
server.listen(port, '127.0.0.1');
