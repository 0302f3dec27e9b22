// helpdesk chat server - lab 1 advanced part
// node chat_server.js [--log file]
const net = require('net');
const fs = require('fs');

const HOST = process.env.LAB_HOST || '127.0.0.1';
const PORT = parseInt(process.env.LAB_PORT || '5000', 10);

let logFile = null;
const i = process.argv.indexOf('--log');
if (i !== -1) logFile = process.argv[i + 1];

// keep log entries in memory and write them in batches (faster than
// writing the file for every single message)
let pendingLog = [];
function flushLog() {
  if (logFile && pendingLog.length) {
    fs.appendFileSync(logFile, pendingLog.join(''));
    pendingLog = [];
  }
}
setInterval(flushLog, 5000).unref();
process.on('exit', flushLog);

function ts() {
  return new Date().toTimeString().slice(0, 8);
}

const server = net.createServer((socket) => {
  const client = socket.remoteAddress + ':' + socket.remotePort;
  console.log(`[SERVER] @${ts()} Connection from ${client}`);

  socket.on('data', (data) => {
    const msg = data.toString().trim();
    const t = ts();
    console.log(`[SERVER] @${t} ${client} Client: ${msg}`);
    pendingLog.push(`${new Date().toISOString()} ${client} ${msg}\n`);
    socket.write(`[ACK @${t}] ${msg}\n`);
  });

  socket.on('end', () => {
    console.log(`[SERVER] @${ts()} ${client} Closed connection`);
  });
});

server.maxConnections = 1; // one caller at a time

server.listen(PORT, HOST, () => {
  const a = server.address();
  console.log(`[SERVER] Listening on ${a.address}:${a.port}`);
});
