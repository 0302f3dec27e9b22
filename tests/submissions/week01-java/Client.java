import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Client: sends one message, prints the reply. */
public class Client {
    public static void main(String[] args) {
        Config cfg = Config.fromEnv();
        if (args.length > 1) {
            System.err.println("[CLIENT] Error: unexpected argument '" + args[1] + "' found");
            System.err.println("  tip: put the message in quotes: client \"" + String.join(" ", args) + "\"");
            System.exit(2);
        }
        String message = args.length == 1 ? args[0] : "Hello Server";
        if (message.strip().isEmpty()) {
            System.err.println("[CLIENT] Error: the message is empty; nothing to send");
            System.exit(2);
        }
        Socket sock = new Socket();
        try {
            sock.connect(new InetSocketAddress(cfg.host, cfg.port), cfg.timeout * 1000);
        } catch (ConnectException e) {
            System.err.println("[CLIENT] Error: could not connect to " + cfg.target() + ": connection refused (is the server running?)");
            System.exit(1);
        } catch (IOException e) {
            System.err.println("[CLIENT] Error: could not connect to " + cfg.target() + ": " + Config.reason(e));
            System.exit(1);
        }
        int status = 0;
        try {
            System.out.println("[CLIENT] Connected to " + Config.peer(sock));
            sock.setSoTimeout(cfg.timeout * 1000);
            OutputStream out = sock.getOutputStream();
            InputStream in = sock.getInputStream();
            System.out.println("[CLIENT] Sending: " + Config.escape(message));
            out.write(message.getBytes(StandardCharsets.UTF_8));
            out.flush();
            byte[] buf = new byte[cfg.bufferSize];
            int n = in.read(buf);
            if (n == -1) {
                System.err.println("[CLIENT] Error: the server closed the connection without replying");
                status = 1;
            } else {
                String reply = new String(buf, 0, n, StandardCharsets.UTF_8);
                System.out.println("[CLIENT] Received: " + Config.escape(reply));
            }
        } catch (SocketTimeoutException e) {
            System.err.println("[CLIENT] Server did not respond in time");
            status = 1;
        } catch (IOException e) {
            System.err.println("[CLIENT] Error: " + Config.reason(e));
            status = 1;
        } finally {
            try { sock.close(); } catch (IOException ignored) { }
        }
        if (status == 0) System.out.println("[CLIENT] Closed connection");
        System.exit(status);
    }
}
