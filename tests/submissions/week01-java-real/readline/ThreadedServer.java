import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
public class ThreadedServer {
    static AtomicInteger active = new AtomicInteger();
    static volatile boolean stopping = false;
    public static void main(String[] args) throws Exception {
        Config c = new Config("SERVER");
        ServerSocket ss;
        try { ss = new ServerSocket(c.port); }
        catch (BindException e) { System.err.println("[SERVER] Error: cannot listen on " + c.host + ":" + c.port + ": address already in use"); System.exit(1); return; }
        System.out.println("[SERVER] Listening on " + c.host + ":" + ss.getLocalPort());
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            System.out.println("[SERVER] Shutting down");
            try { ss.close(); } catch (IOException e) {}
            long end = System.currentTimeMillis() + c.timeout * 1000L;
            while (active.get() > 0 && System.currentTimeMillis() < end) { try { Thread.sleep(50); } catch (InterruptedException e) {} }
        }));
        while (!stopping) {
            Socket s;
            try { s = ss.accept(); } catch (IOException e) { break; }
            String peer = Config.addr(s.getInetAddress(), s.getPort());
            System.out.println("[SERVER] Connection from " + peer);
            if (active.incrementAndGet() > c.maxClients) {
                active.decrementAndGet();
                s.getOutputStream().write("ERROR: Server busy".getBytes());
                s.close();
                System.out.println("[SERVER] " + peer + " refused: server busy (" + c.maxClients + " clients)");
                continue;
            }
            new Thread(() -> {
                try {
                    s.setSoTimeout(c.timeout * 1000);
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                    String line;
                    try { line = in.readLine(); }
                    catch (SocketTimeoutException e) { System.out.println("[SERVER] Client " + peer + " sent nothing within " + c.timeout + "s; closing"); return; }
                    if (line == null) { System.out.println("[SERVER] Client " + peer + " closed without sending"); return; }
                    System.out.println("[SERVER] " + peer + " Received: " + Config.esc(line.trim()));
                    String r = Config.reply(line);
                    s.getOutputStream().write(r.getBytes(StandardCharsets.UTF_8));
                    System.out.println("[SERVER] " + peer + " Sent: " + Config.esc(r));
                } catch (IOException e) {
                    System.out.println("[SERVER] " + peer + " Error: " + e.getMessage());
                } finally {
                    try { s.close(); } catch (IOException e) {}
                    System.out.println("[SERVER] " + peer + " Closed connection");
                    active.decrementAndGet();
                }
            }).start();
        }
    }
}
