'use strict';
const net = require('net');
const { load, addr, escape, makeReply, out, err } = require('./config');

const cfg = load('SERVER');
let active = 0;
const sockets = new Set();
let stopping = false;
const server = net.createServer();
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
  const peer = addr(sock.remoteAddress, sock.remotePort);
  if (stopping) { sock.destroy(); return; }
  out(`[SERVER] Connection from ${peer}`);
  if (active >= cfg.maxClients) {
    sock.end('ERROR: Server busy');
    out(`[SERVER] ${peer} refused: server busy (${cfg.maxClients} clients)`);
    return;
  }
  active++;
  sockets.add(sock);
  let done = false;
  const finish = () => {
    if (done) return; done = true;
    sock.destroy();
    active--;
    sockets.delete(sock);
    out(`[SERVER] ${peer} Closed connection`);
    maybeExit();
  };
  sock.setTimeout(cfg.timeout * 1000);
  sock.on('timeout', () => { out(`[SERVER] Client ${peer} sent nothing within ${cfg.timeout}s; closing`); finish(); });
  sock.on('end', () => { if (!done) { out(`[SERVER] Client ${peer} closed without sending`); finish(); } });
  sock.on('close', () => finish());
  sock.once('data', (chunk) => {
    sock.pause();
    sock.setTimeout(0);
    const data = chunk.subarray(0, cfg.bufferSize);
    const [text, reply] = makeReply(data);
    if (text === null) out(`[SERVER] ${peer} Rejected: invalid UTF-8 (${data.length} bytes)`);
    else out(`[SERVER] ${peer} Received: ${escape(text)}`);
    sock.write(reply, (e) => {
      if (!e) out(`[SERVER] ${peer} Sent: ${escape(reply)}`);
      finish();
    });
  });
});

let signals = 0;
function maybeExit() {
  if (stopping && active === 0) process.exit(0);
}
function onSignal() {
  signals++;
  if (signals >= 2) {
    out(`[SERVER] Second Ctrl+C: quitting at once (${active} clients cut off)`);
    process.exit(130);
  }
  stopping = true;
  server.close();
  out('[SERVER] Shutting down');
  if (active > 0) {
    out(`[SERVER] Waiting for ${active} clients to finish (Ctrl+C again to quit at once)`);
    setTimeout(() => process.exit(0), cfg.timeout * 1000).unref();
  }
  maybeExit();
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
