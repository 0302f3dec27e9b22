'use strict';
const net = require('net');
const { load, addr, escape, out, err } = require('./config');

const cfg = load('CLIENT');
const args = process.argv.slice(2);
if (args.length > 1) {
  err(`[CLIENT] Error: unexpected argument '${args[1]}'`);
  err(`  tip: put the message in quotes: client "${args.join(' ')}"`);
  process.exit(2);
}
const msg = args.length ? args[0] : 'Hello Server';
if (msg === '') { err('[CLIENT] Error: empty message; nothing sent'); process.exit(2); }
const target = addr(cfg.host, cfg.port);
const sock = net.connect({ host: cfg.host, port: cfg.port });
let got = false;
sock.on('connect', () => {
  out(`[CLIENT] Connected to ${target}`);
  out(`[CLIENT] Sending: ${escape(msg)}`);
  sock.write(msg);
  sock.setTimeout(cfg.timeout * 1000);
});
sock.on('timeout', () => {
  err('[CLIENT] Server did not respond in time');
  sock.destroy();
  process.exitCode = 1;
});
sock.on('data', (chunk) => {
  if (got) return; got = true;
  const data = chunk.subarray(0, cfg.bufferSize);
  out(`[CLIENT] Received: ${escape(data.toString('utf8'))}`);
  sock.destroy();
  out('[CLIENT] Closed connection');
  process.exitCode = 0;
});

sock.on('error', (e) => {
  if (got) return; got = true;
  if (e.code === 'ECONNREFUSED') err(`[CLIENT] Error: could not connect to ${target}: connection refused (is the server running?)`);
  else err(`[CLIENT] Error: ${e.message}`);
  process.exitCode = 1;
});
