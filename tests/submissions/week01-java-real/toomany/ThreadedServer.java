// Lab 1, extension D: threaded server with a cap on clients.
// (A student's: a pool, a counter of busy places, its own busy wording, a
// shutdown hook.) Its mistakes: the place of a session that dies of a reset
// is never given back (the catch of IOException forgets the decrement), the
// refusal is worded `ERROR: Too many clients, try again`, and the JVM exits
// 130/143 after its shutdown hook.
import java.io.*;
import java.net.*;
import java.nio.ByteBuffer;
import java.nio.charset.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

public class ThreadedServer {
    static String env(String name, String def) {
        String v = System.getenv(name);
        return v == null ? def : v.trim();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (Character.isISOControl(c)) sb.append("\\u{").append(Integer.toHexString(c)).append("}");
            else sb.appendCodePoint(c);
        });
        return sb.toString();
    }

    static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static final AtomicInteger active = new AtomicInteger();
    static final AtomicBoolean stopping = new AtomicBoolean(false);

    public static void main(String[] args) throws Exception {
        String host = env("LAB_HOST", "127.0.0.1");
        int port = Integer.parseInt(env("LAB_PORT", "5000"));
        int bufSize = Integer.parseInt(env("LAB_BUFFER_SIZE", "1024"));
        int timeout = Integer.parseInt(env("LAB_TIMEOUT", "5"));
        int maxClients = Integer.parseInt(env("LAB_MAX_CLIENTS", "64"));

        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        try {
            server.bind(new InetSocketAddress(InetAddress.getByName(host), port), 128);
        } catch (IOException e) {
            System.err.println("[SERVER] Error: cannot listen on " + host + ":" + port + ": address already in use");
            System.exit(1);
        }
        say("[SERVER] Listening on " + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort());

        ExecutorService pool = Executors.newCachedThreadPool();

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (stopping.compareAndSet(false, true)) {
                say("[SERVER] Shutting down");
                try { server.close(); } catch (IOException ignored) {}
                pool.shutdown();
                try { pool.awaitTermination(timeout, TimeUnit.SECONDS); } catch (InterruptedException ignored) {}
            }
        }));

        while (!stopping.get()) {
            Socket conn;
            try {
                conn = server.accept();
            } catch (IOException e) {
                if (stopping.get()) break;
                continue;
            }
            String peer = conn.getInetAddress().getHostAddress() + ":" + conn.getPort();
            if (active.get() >= maxClients) {
                try {
                    conn.getOutputStream().write("ERROR: Too many clients, try again".getBytes(StandardCharsets.UTF_8));
                    conn.close();
                } catch (IOException ignored) {}
                say("[SERVER] " + peer + " refused: server busy (" + maxClients + " clients)");
                continue;
            }
            say("[SERVER] Connection from " + peer);
            active.incrementAndGet();
            pool.submit(() -> handle(conn, peer, bufSize, timeout));
        }
        pool.shutdown();
        pool.awaitTermination(timeout, TimeUnit.SECONDS);
        System.exit(0);
    }

    static void handle(Socket conn, String peer, int bufSize, int timeout) {
        try (Socket c = conn) {
            c.setSoTimeout(timeout * 1000);
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            byte[] buf = new byte[bufSize];
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                say("[SERVER] Client " + peer + " sent nothing within " + timeout + "s; closing");
                active.decrementAndGet();
                return;
            }
            if (n <= 0) {
                say("[SERVER] Client " + peer + " closed without sending");
                active.decrementAndGet();
                return;
            }
            String reply;
            CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
            String text = null;
            try {
                text = dec.decode(ByteBuffer.wrap(buf, 0, n)).toString();
            } catch (CharacterCodingException e) {
                say("[SERVER] " + peer + " Rejected: invalid UTF-8 (" + n + " bytes)");
            }
            if (text == null) {
                reply = "ERROR: Invalid UTF-8";
            } else {
                say("[SERVER] " + peer + " Received: " + escape(text));
                String msg = text.strip();
                if (msg.isEmpty()) reply = "ERROR: Empty message";
                else if (msg.codePointCount(0, msg.length()) > 100) reply = "ERROR: Message too long";
                else reply = "ACK: " + msg;
            }
            out.write(reply.getBytes(StandardCharsets.UTF_8));
            out.flush();
            say("[SERVER] " + peer + " Sent: " + escape(reply));
        } catch (IOException e) {
            say("[SERVER] " + peer + " Error: " + e.getMessage());
            return;
        }
        say("[SERVER] " + peer + " Closed connection");
        active.decrementAndGet();
    }
}
