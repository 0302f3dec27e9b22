'use strict';
const net = require('net');
const { load, addr, escape, makeReply, out, err } = require('./config');

const cfg = load('SERVER');
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
server.maxConnections = 1;
let served = false;
server.on('connection', (sock) => {
  if (served) { sock.destroy(); return; }
  served = true;
  server.close();
  const peer = addr(sock.remoteAddress, sock.remotePort);
  out(`[SERVER] Connection from ${peer}`);
  let done = false;
  const finish = (code) => {
    if (done) return; done = true;
    sock.destroy();
    process.exitCode = code;
  };
  sock.setTimeout(cfg.timeout * 1000);
  sock.on('timeout', () => {
    if (done) return;
    out(`[SERVER] Client ${peer} sent nothing within ${cfg.timeout}s; closing`);
    finish(0);
  });
  sock.on('error', (e) => { if (!done) { err(`[SERVER] Error: ${e.message}`); finish(1); } });
  sock.on('end', () => {
    if (done) return;
    out(`[SERVER] Client ${peer} closed without sending`);
    finish(0);
  });
  sock.once('data', (chunk) => {
    sock.pause();
    sock.setTimeout(0);
    const data = chunk.subarray(0, cfg.bufferSize);
    const [text, reply] = makeReply(data);
    if (text === null) out(`[SERVER] Rejected: invalid UTF-8 (${data.length} bytes)`);
    else out(`[SERVER] Received: ${escape(text)}`);
    done = true;
    sock.end(Buffer.from(reply), () => {
      out(`[SERVER] Sent: ${escape(reply)}`);
      sock.destroy();
      out('[SERVER] Closed connection');
      process.exitCode = 0;
    });
  });
});
