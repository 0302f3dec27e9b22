// Helpdesk chat client (Node). In -i mode readline keeps emitting typed lines while paused,
// so a second line goes out before the first ACK, and the one slot for the ACK it waits for is overwritten.
const net = require('net');
const readline = require('readline');

const HOST = process.env.LAB_HOST || '127.0.0.1';
const PORT = parseInt(process.env.LAB_PORT || '5000', 10);
const TIMEOUT = parseInt(process.env.LAB_TIMEOUT || '5', 10);

let args = process.argv.slice(2);
let interactive = false;
if (args[0] === '-i') { interactive = true; args = args.slice(1); }
if (args.length === 0 && process.stdin.isTTY) interactive = true;
const queue = args.length ? args : ['Hello, can you help?', 'I have a problem with my account', 'Thank you, goodbye'];

const sock = net.connect(PORT, HOST);
const replies = readline.createInterface({ input: sock });
let waiting = null;

sock.on('error', (e) => {
  if (e.code === 'ECONNREFUSED') {
    console.error(`[CLIENT] Error: could not connect to ${HOST}:${PORT}: connection refused (is the server running?)`);
  } else {
    console.error(`[CLIENT] Error: ${e.message}`);
  }
  process.exit(1);
});

function send(msg) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      console.error('[CLIENT] Server did not respond in time');
      process.exit(1);
    }, TIMEOUT * 1000);
    waiting = (line) => { clearTimeout(timer); resolve(line); };
    sock.write(msg + '\n');
  });
}

replies.on('line', (line) => {
  if (waiting) { const w = waiting; waiting = null; w(line); }
});
sock.on('end', () => {
  if (waiting) {
    console.error('[CLIENT] Server closed the connection without replying');
    process.exit(1);
  }
});

function finish() {
  sock.end();
  console.log('[CLIENT] Closed connection');
}

sock.on('connect', async () => {
  console.log(`[CLIENT] Connected to ${HOST}:${PORT}`);
  if (!interactive) {
    for (const m of queue) {
      const ack = await send(m);
      console.log(`[CLIENT] ${ack}`);
    }
    finish();
    return;
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  rl.setPrompt('Enter message to send: ');
  rl.prompt();
  rl.on('line', async (line) => {
    if (line === '') { rl.close(); return; }
    rl.pause();
    const ack = await send(line);
    console.log(`[CLIENT] ${ack}`);
    rl.resume();
    rl.prompt();
  });
  rl.on('close', finish);
});
