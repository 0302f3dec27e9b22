import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;

/** Extension D: one thread per client, at most LAB_MAX_CLIENTS at once. */
public class ServerThreaded {
    static final AtomicInteger active = new AtomicInteger();
    static volatile boolean stopping = false;
    static volatile int signals = 0;

    public static void main(String[] args) throws InterruptedException {
        Config cfg = Config.fromEnv();
        ServerSocket server;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(cfg.host), cfg.port), 128);
        } catch (IOException e) {
            System.err.println("[SERVER] Error: cannot listen on " + cfg.target() + ": " + Config.reason(e));
            System.exit(1);
            return;
        }
        // Ctrl+C and SIGTERM: stop accepting (closing the socket wakes accept)
        sun.misc.SignalHandler onSignal = sig -> {
            signals++;
            if (signals >= 2) {
                System.out.println("[SERVER] Second signal: quitting at once (" + active.get() + " clients cut off)");
                Runtime.getRuntime().halt(130);
            }
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
            String peer = Config.peer(client);
            System.out.println("[SERVER] Connection from " + peer);
            if (active.incrementAndGet() > cfg.maxClients) {
                active.decrementAndGet();
                System.out.println("[SERVER] " + peer + " refused: server busy (" + cfg.maxClients + " clients)");
                try (client) {
                    client.getOutputStream().write("ERROR: Server busy".getBytes(StandardCharsets.UTF_8));
                } catch (IOException ignored) { }
                continue;
            }
            Thread t = new Thread(() -> {
                try {
                    serve(client, peer, cfg);
                } finally {
                    active.decrementAndGet();   // give the slot back on every path
                }
            });
            t.start();
        }
        int left = active.get();
        if (left > 0) {
            System.out.println("[SERVER] Waiting for " + left + " clients to finish (Ctrl+C again to quit at once)");
            long deadline = System.currentTimeMillis() + cfg.timeout * 1000L;
            while (active.get() > 0 && System.currentTimeMillis() < deadline) Thread.sleep(20);
        }
        System.out.println("[SERVER] Shutting down");
        System.exit(0);
    }

    static void serve(Socket client, String peer, Config cfg) {
        try (client) {
            client.setSoTimeout(cfg.timeout * 1000);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            byte[] buf = new byte[cfg.bufferSize];
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                System.out.println("[SERVER] " + peer + " sent nothing within " + cfg.timeout + "s; closing");
                return;
            }
            if (n == -1) {
                System.out.println("[SERVER] " + peer + " closed without sending");
                return;
            }
            String text = Message.decode(buf, n);
            String reply;
            if (text == null) {
                System.out.println("[SERVER] " + peer + " Rejected: invalid UTF-8 (" + n + " bytes)");
                reply = "ERROR: Invalid UTF-8";
            } else {
                String message = text.strip();
                System.out.println("[SERVER] " + peer + " Received: " + Config.escape(message));
                reply = Message.reply(message);
            }
            out.write(reply.getBytes(StandardCharsets.UTF_8));
            out.flush();
            System.out.println("[SERVER] " + peer + " Sent: " + Config.escape(reply));
        } catch (IOException e) {
            System.err.println("[SERVER] " + peer + " Error: " + Config.reason(e));
            return;
        }
        System.out.println("[SERVER] " + peer + " Closed connection");
    }
}
