// chat client: sends messages and prints the server's acks
const net = require('net');

const HOST = process.env.LAB_HOST || '127.0.0.1';
const PORT = parseInt(process.env.LAB_PORT || '5000', 10);

let msgs = process.argv.slice(2);
if (msgs.length === 0) {
  msgs = ['Hello, can you help?', 'I have a problem with my account', 'Thank you, goodbye'];
}

const sock = net.createConnection(PORT, HOST, () => {
  console.log(`[CLIENT] Connected to ${HOST}:${PORT}`);
  sendNext();
});

let idx = 0;
function sendNext() {
  if (idx >= msgs.length) {
    sock.end();
    console.log('[CLIENT] Closed connection');
    return;
  }
  sock.write(msgs[idx++] + '\n');
}

// every reply from the server is one ack
sock.on('data', (d) => {
  console.log('[CLIENT] ' + d.toString().trim());
  sendNext();
});

sock.on('error', (err) => {
  console.error('[CLIENT] Error: ' + err.message);
  process.exit(1);
});
