'use strict';
const net = require('net');
const fs = require('fs');
const { load, addr, escape, out, err, decoder } = require('./config');

const cfg = load('SERVER');
let logPath = null;
let idle = 120;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--log') logPath = argv[++i];
  else if (argv[i] === '--idle-timeout') idle = parseInt(argv[++i], 10);
  else { err(`[SERVER] Error: unknown argument '${argv[i]}'`); process.exit(2); }
}
const logFd = logPath ? fs.openSync(logPath, 'a') : null;
const MAX = 64 * 1024;

function hhmmss() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
function rfc3339() {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}
function logEscape(s) {
  let o = '';
  for (const c of s) o += c === '\\' ? '\\\\' : escape(c);
  return o;
}

const queue = [];
let busy = false;
const server = net.createServer({ pauseOnConnect: true });
server.on('error', (e) => {
  const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.message;
  err(`[SERVER] Error: cannot listen on ${addr(cfg.host, cfg.port)}: ${why}`);
  process.exit(1);
});
server.listen({ host: cfg.host, port: cfg.port, exclusive: true }, () => {
  const a = server.address();
  out(`[SERVER] Listening on ${addr(a.address, a.port)}`);
});
server.on('connection', (sock) => {
  sock.on('error', () => {});
  queue.push(sock);
  next();
});

function next() {
  if (busy) return;
  const sock = queue.shift();
  if (!sock) return;
  if (sock.destroyed) { next(); return; }
  busy = true;
  session(sock, () => { busy = false; next(); });
}

function session(sock, done) {
  const peer = addr(sock.remoteAddress, sock.remotePort);
  out(`[SERVER] @${hhmmss()} Connection from ${peer}`);
  let buf = Buffer.alloc(0);
  let ended = false;
  let timer = null;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      out(`[SERVER] @${hhmmss()} ${peer} idle for ${idle}s: no complete line (${buf.length} bytes of one so far); closing`);
      end();
    }, idle * 1000);
  };
  const end = () => {
    if (ended) return; ended = true;
    if (timer) clearTimeout(timer);
    sock.destroy();
    out(`[SERVER] @${hhmmss()} ${peer} Closed connection`);
    done();
  };
  arm();
  sock.on('data', (chunk) => {
    if (ended) return;
    buf = Buffer.concat([buf, chunk]);
    let i;
    while ((i = buf.indexOf(10)) >= 0) {
      const raw = buf.subarray(0, i);
      buf = buf.subarray(i + 1);
      arm();
      let text;
      try { text = decoder().decode(raw); } catch (e) {
        out(`[SERVER] @${hhmmss()} ${peer} Rejected: invalid UTF-8 (${raw.length} bytes)`);
        sock.write('[ERROR] Invalid UTF-8\n');
        continue;
      }
      if (text.trim() === '') { sock.write('[ERROR] Empty message\n'); continue; }
      out(`[SERVER] @${hhmmss()} ${peer} Client: ${escape(text)}`);
      if (logFd !== null) {
        fs.writeSync(logFd, `${rfc3339()} ${peer} ${logEscape(text)}\n`);
        fs.fsyncSync(logFd);
      }
      sock.write(`[ACK @${hhmmss()}] ${text}\n`);
    }
    if (buf.length > MAX) {
      out(`[SERVER] @${hhmmss()} ${peer} line longer than 64 KiB; closing`);
      end();
    }
  });
  sock.on('end', end);
  sock.on('close', end);
  sock.on('error', (e) => { err(`[SERVER] ${peer} Error: ${e.message}`); end(); });
  sock.resume();
}

function stop() {
  server.close();
  out('[SERVER] Shutting down');
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
