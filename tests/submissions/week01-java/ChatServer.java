import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import sun.misc.Signal;

/** Helpdesk chat server: one caller at a time, each line acknowledged. */
public class ChatServer {
    static final int MAX_LINE = 64 * 1024;
    static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    static volatile boolean stopping = false;

    static String clock() {
        return LocalTime.now().format(CLOCK);
    }

    public static void main(String[] args) {
        Config cfg = Config.fromEnv();
        String logPath = null;
        double idle = 120;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--log") && i + 1 < args.length) {
                logPath = args[++i];
            } else if (args[i].equals("--idle-timeout") && i + 1 < args.length) {
                try {
                    idle = Double.parseDouble(args[++i]);
                } catch (NumberFormatException e) {
                    idle = -1;
                }
                if (!(idle > 0 && idle < 86400)) {
                    System.err.println("error: --idle-timeout must be a positive number of seconds");
                    System.exit(2);
                }
            } else {
                System.err.println("usage: ChatServer [--log FILE] [--idle-timeout SECS]");
                System.exit(2);
            }
        }
        FileOutputStream log = null;
        if (logPath != null) {
            try {
                log = new FileOutputStream(logPath, true);
            } catch (IOException e) {
                System.err.println("[SERVER] Error: cannot open log file " + logPath + ": " + Config.reason(e));
                System.exit(1);
            }
        }
        ServerSocket server;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(cfg.host), cfg.port), 50);
        } catch (IOException e) {
            System.err.println("[SERVER] Error: cannot listen on " + cfg.target() + ": " + Config.reason(e));
            System.exit(1);
            return;
        }
        sun.misc.SignalHandler onSignal = sig -> {
            stopping = true;
            try { server.close(); } catch (IOException ignored) { }
        };
        Signal.handle(new Signal("INT"), onSignal);
        Signal.handle(new Signal("TERM"), onSignal);

        System.out.println("[SERVER] Listening on " + Config.addr(server.getInetAddress(), server.getLocalPort()));
        while (!stopping) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (stopping) break;
                System.err.println("[SERVER] Error: accept failed: " + Config.reason(e));
                continue;
            }
            session(client, log, idle);
        }
        System.out.println("[SERVER] Shutting down");
        System.exit(0);
    }

    static void session(Socket client, FileOutputStream log, double idle) {
        String name = Config.peer(client);
        System.out.println("[SERVER] @" + clock() + " Connection from " + name);
        long idleMs = (long) (idle * 1000);
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            ByteArrayOutputStream pending = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            long lineStart = System.currentTimeMillis();   // the idle limit is per whole line
            while (true) {
                long left = lineStart + idleMs - System.currentTimeMillis();
                if (left <= 0) {
                    System.out.println("[SERVER] @" + clock() + " " + name + " idle for " + fmt(idle)
                            + "s: no complete line (" + pending.size() + " bytes of one so far); closing");
                    break;
                }
                client.setSoTimeout((int) Math.max(1, left));
                int n;
                try {
                    n = in.read(buf);
                } catch (SocketTimeoutException e) {
                    continue;   // the loop head says it and closes
                }
                if (n == -1) {
                    if (pending.size() > 0) {
                        System.out.println("[SERVER] @" + clock() + " " + name + " left an unfinished line ("
                                + pending.size() + " bytes); dropped");
                    }
                    break;
                }
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        pending.write(buf, from, i - from);
                        byte[] line = pending.toByteArray();
                        pending.reset();
                        from = i + 1;
                        lineStart = System.currentTimeMillis();
                        if (!handleLine(out, name, log, line)) return;
                    }
                }
                pending.write(buf, from, n - from);
                if (pending.size() > MAX_LINE) {
                    System.err.println("[SERVER] " + name + " Error: a line longer than 64 KiB without a newline; closing");
                    break;
                }
            }
        } catch (IOException e) {
            System.err.println("[SERVER] " + name + " Error: " + Config.reason(e));
        } finally {
            System.out.println("[SERVER] @" + clock() + " " + name + " Closed connection");
        }
    }

    static String fmt(double secs) {
        return secs == Math.rint(secs) ? String.valueOf((long) secs) : String.valueOf(secs);
    }

    /** Print, log (on disk first) and acknowledge one line. False ends the session. */
    static boolean handleLine(OutputStream out, String name, FileOutputStream log, byte[] raw) throws IOException {
        int len = raw.length;
        if (len > 0 && raw[len - 1] == '\r') len--;   // telnet sends \r\n
        String message = Message.decode(raw, len);
        if (message == null) {
            System.out.println("[SERVER] @" + clock() + " " + name + " Rejected: invalid UTF-8 (" + len + " bytes)");
            out.write("[ERROR] Invalid UTF-8\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        }
        if (message.isBlank()) {
            out.write("[ERROR] Empty message\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        }
        String stamp = clock();
        System.out.println("[SERVER] @" + stamp + " " + name + " Client: " + Config.escape(message));
        if (log != null) {
            String record = OffsetDateTime.now().format(RFC3339) + " " + name + " " + escapeRecord(message) + "\n";
            try {
                log.write(record.getBytes(StandardCharsets.UTF_8));
                log.flush();
                log.getFD().sync();   // on disk before the ACK
            } catch (IOException e) {
                System.err.println("[SERVER] Error: cannot write the log: " + Config.reason(e));
                return false;
            }
        }
        out.write(("[ACK @" + stamp + "] " + message + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return true;
    }

    static String escapeRecord(String m) {
        StringBuilder sb = new StringBuilder();
        m.codePoints().forEach(c -> {
            if (c == '\\') sb.append("\\\\");
            else if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (Character.isISOControl(c)) sb.append("\\u{").append(Integer.toHexString(c)).append("}");
            else sb.appendCodePoint(c);
        });
        return sb.toString();
    }
}
