import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Helpdesk chat client: each message is a line; each ACK is a line. */
public class ChatClient {
    static final String PROMPT = "Enter message to send: ";

    public static void main(String[] args) {
        Config cfg = Config.fromEnv();
        boolean interactive = false;
        List<String> messages = new ArrayList<>();
        for (String a : args) {
            if (a.equals("-i") || a.equals("--interactive")) interactive = true;
            else messages.add(a);
        }
        if (interactive && !messages.isEmpty()) {
            System.err.println("error: -i reads messages from the keyboard; give no MESSAGE with it");
            System.exit(2);
        }
        for (String m : messages) {
            if (m.contains("\n")) {
                System.err.println("error: a message is one line: no newlines inside");
                System.exit(2);
            }
        }
        if (messages.isEmpty() && System.console() != null) interactive = true;
        if (messages.isEmpty()) {
            messages = List.of("Hello, can you help?", "I have a problem with my account", "Thank you, goodbye");
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
        try (sock) {
            System.out.println("[CLIENT] Connected to " + Config.peer(sock));
            sock.setSoTimeout(cfg.timeout * 1000);
            BufferedReader replies = new BufferedReader(new InputStreamReader(sock.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = sock.getOutputStream();
            if (interactive) {
                BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                while (status == 0) {
                    System.out.print(PROMPT);
                    System.out.flush();
                    String line = stdin.readLine();
                    if (line == null) {
                        System.out.println();
                        break;
                    }
                    if (line.isBlank()) continue;
                    status = exchange(out, replies, line);
                }
            } else {
                for (String m : messages) {
                    status = exchange(out, replies, m);
                    if (status != 0) break;
                }
            }
        } catch (IOException e) {
            System.err.println("[CLIENT] Error: " + Config.reason(e));
            status = 1;
        }
        if (status == 0) System.out.println("[CLIENT] Closed connection");
        System.exit(status);
    }

    static int exchange(OutputStream out, BufferedReader replies, String message) {
        try {
            out.write((message + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String ack = replies.readLine();   // one line, however many reads it takes
            if (ack == null) {
                System.err.println("[CLIENT] Error: the server closed the connection without replying");
                return 1;
            }
            System.out.println("[CLIENT] " + ack);
            return 0;
        } catch (SocketTimeoutException e) {
            System.err.println("[CLIENT] Server did not respond in time");
            return 1;
        } catch (IOException e) {
            System.err.println("[CLIENT] Error: " + Config.reason(e));
            return 1;
        }
    }
}
