import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** One-shot server: serves one client, then exits. */
public class Server {
    public static void main(String[] args) {
        Config cfg = Config.fromEnv();
        ServerSocket server;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);   // restart over TIME_WAIT
            server.bind(new java.net.InetSocketAddress(InetAddress.getByName(cfg.host), cfg.port), 50);
        } catch (IOException e) {
            System.err.println("[SERVER] Error: cannot listen on " + cfg.target() + ": " + Config.reason(e));
            System.exit(1);
            return;
        }
        System.out.println("[SERVER] Listening on " + Config.addr(server.getInetAddress(), server.getLocalPort()));
        try (Socket client = server.accept()) {
            String peer = Config.peer(client);
            System.out.println("[SERVER] Connection from " + peer);
            client.setSoTimeout(cfg.timeout * 1000);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            byte[] buf = new byte[cfg.bufferSize];
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                System.out.println("[SERVER] Client " + peer + " sent nothing within " + cfg.timeout + "s; closing");
                return;
            }
            if (n == -1) {
                System.out.println("[SERVER] Client " + peer + " closed without sending");
                return;
            }
            String text = Message.decode(buf, n);
            String reply;
            if (text == null) {
                System.out.println("[SERVER] Rejected: invalid UTF-8 (" + n + " bytes)");
                reply = "ERROR: Invalid UTF-8";
            } else {
                String message = text.strip();
                System.out.println("[SERVER] Received: " + Config.escape(message));
                reply = Message.reply(message);
            }
            out.write(reply.getBytes(StandardCharsets.UTF_8));
            out.flush();
            System.out.println("[SERVER] Sent: " + Config.escape(reply));
        } catch (IOException e) {
            System.err.println("[SERVER] Error: " + Config.reason(e));
            System.exit(1);
        } finally {
            try { server.close(); } catch (IOException ignored) { }
        }
        System.out.println("[SERVER] Closed connection");
    }
}
