'use strict';
const net = require('net');

function fail(role, name, raw, why) {
  process.stderr.write(`[${role}] Error: ${name}="${raw}": ${why}\n`);
  process.exit(2);
}

function intVar(role, name, def, lo, hi) {
  const raw = process.env[name];
  if (raw === undefined) return def;
  const v = raw.trim();
  if (!/^[0-9]+$/.test(v)) fail(role, name, raw, `not a whole number (${lo} to ${hi})`);
  const n = parseInt(v, 10);
  if (n < lo || n > hi) fail(role, name, raw, `out of range (${lo} to ${hi})`);
  return n;
}

function load(role) {
  let host = (process.env.LAB_HOST || '127.0.0.1').trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === 'localhost') host = '127.0.0.1';
  if (!net.isIP(host)) fail(role, 'LAB_HOST', host, 'not an IP address');
  return {
    host,
    port: intVar(role, 'LAB_PORT', 5000, 0, 65535),
    bufferSize: intVar(role, 'LAB_BUFFER_SIZE', 1024, 1, 16777216),
    timeout: intVar(role, 'LAB_TIMEOUT', 5, 1, 86400),
    maxClients: intVar(role, 'LAB_MAX_CLIENTS', 64, 1, 100000),
  };
}

function addr(host, port) {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function escape(s) {
  let out = '';
  for (const c of s) {
    const code = c.codePointAt(0);
    if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\u{${code.toString(16)}}`;
    else out += c;
  }
  return out;
}

const decoder = () => new TextDecoder('utf-8', { fatal: true });

function makeReply(buf) {
  let text;
  try { text = decoder().decode(buf); } catch (e) { return [null, 'ERROR: Invalid UTF-8']; }
  const msg = text.trim();
  if (msg.length === 0) return [msg, 'ERROR: Empty message'];
  if ([...msg].length > 100) return [msg, 'ERROR: Message too long'];
  return [msg, 'ACK: ' + msg];
}

function out(line) { process.stdout.write(line + '\n'); }
function err(line) { process.stderr.write(line + '\n'); }

module.exports = { load, addr, escape, makeReply, out, err, decoder };
