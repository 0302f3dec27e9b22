'use strict';
const net = require('net');
const { load, addr, escape, out, err } = require('./config');

const cfg = load('CLIENT');
let args = process.argv.slice(2);
let interactive = false;
if (args[0] === '-i' || args[0] === '--interactive') { interactive = true; args = args.slice(1); }
if (args.length === 0 && process.stdin.isTTY) interactive = true;
const DEFAULT = ['Hello, can you help?', 'I have a problem with my account', 'Thank you, goodbye'];
const target = addr(cfg.host, cfg.port);

let rbuf = Buffer.alloc(0);
let waiting = null;
let closed = false;
const sock = net.connect({ host: cfg.host, port: cfg.port });
sock.on('error', (e) => {
  if (e.code === 'ECONNREFUSED') err(`[CLIENT] Error: could not connect to ${target}: connection refused (is the server running?)`);
  else err(`[CLIENT] Error: ${e.message}`);
  process.exit(1);
});
sock.on('data', (chunk) => {
  rbuf = Buffer.concat([rbuf, chunk]);
  deliver();
});
sock.on('end', () => { closed = true; deliver(); });
sock.on('timeout', () => { err('[CLIENT] Server did not respond in time'); process.exit(1); });

function deliver() {
  if (!waiting) return;
  const i = rbuf.indexOf(10);
  if (i >= 0) {
    const line = rbuf.subarray(0, i).toString('utf8');
    rbuf = rbuf.subarray(i + 1);
    const w = waiting; waiting = null;
    sock.setTimeout(0);
    w(line);
  } else if (closed) {
    err('[CLIENT] Error: the server closed the connection without replying');
    process.exit(1);
  }
}

function exchange(msg) {
  return new Promise((resolve) => {
    waiting = (line) => { out(`[CLIENT] ${escape(line)}`); resolve(); };
    sock.setTimeout(cfg.timeout * 1000);
    sock.write(msg);
    deliver();
  });
}

function finish() {
  sock.end();
  sock.destroy();
  out('[CLIENT] Closed connection');
  process.exit(0);
}

// stdin line reader that splits on \n only
let ibuf = '';
let iend = false;
let iwait = null;
process.stdin.setEncoding('utf8');
function readLine() {
  return new Promise((resolve) => {
    const tryIt = () => {
      const i = ibuf.indexOf('\n');
      if (i >= 0) { const l = ibuf.slice(0, i); ibuf = ibuf.slice(i + 1); iwait = null; resolve(l); }
      else if (iend) { iwait = null; const l = ibuf; ibuf = ''; resolve(l.length ? l : null); }
      else iwait = tryIt;
    };
    tryIt();
  });
}

sock.on('connect', async () => {
  out(`[CLIENT] Connected to ${target}`);
  if (interactive) {
    const tty = !!process.stdin.isTTY;
    process.stdin.on('data', (d) => { ibuf += d; if (iwait) iwait(); });
    process.stdin.on('end', () => { iend = true; if (iwait) iwait(); });
    while (true) {
      process.stdout.write(tty ? 'Enter message to send (Ctrl+D to finish): ' : 'Enter message to send: ');
      const line = await readLine();
      if (line === null) break;
      if (tty && line === '') break;
      await exchange(line);
    }
    process.stdin.pause();
  } else {
    for (const m of (args.length ? args : DEFAULT)) await exchange(m);
  }
  finish();
});
