import java.io.*;
import java.net.*;

// Extension D: one thread per client
public class ServerThreaded {
    public static void main(String[] args) throws IOException {
        String host = System.getenv().getOrDefault("LAB_HOST", "127.0.0.1");
        int port = Integer.parseInt(System.getenv().getOrDefault("LAB_PORT", "5000"));
        int timeout = Integer.parseInt(System.getenv().getOrDefault("LAB_TIMEOUT", "5"));

        ServerSocket server = new ServerSocket(port, 50, InetAddress.getByName(host));
        System.out.println("[SERVER] Listening on " + host + ":" + server.getLocalPort());

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("[SERVER] Shutting down");
        }));

        while (true) {
            Socket client = server.accept();
            new ClientHandler(client, timeout).start();
        }
    }
}

class ClientHandler extends Thread {
    private Socket socket;
    private int timeout;

    ClientHandler(Socket socket, int timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    public void run() {
        String name = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
        System.out.println("[SERVER] Connection from " + name);
        try {
            socket.setSoTimeout(timeout * 1000);
            InputStream in = socket.getInputStream();
            PrintWriter out = new PrintWriter(socket.getOutputStream());
            byte[] buffer = new byte[1024];
            int n = in.read(buffer);
            if (n == -1) {
                System.out.println("[SERVER] " + name + " closed without sending");
                socket.close();
                return;
            }
            String msg = new String(buffer, 0, n).trim();
            System.out.println("[SERVER] " + name + " Received: " + msg);
            String reply;
            if (msg.isEmpty()) reply = "ERROR: Empty message";
            else if (msg.length() > 100) reply = "ERROR: Message too long";
            else reply = "ACK: " + msg;
            out.print(reply);
            System.out.println("[SERVER] " + name + " Sent: " + reply);
            socket.close();
            System.out.println("[SERVER] " + name + " Closed connection");
        } catch (SocketTimeoutException e) {
            System.out.println("[SERVER] " + name + " sent nothing within " + timeout + "s; closing");
            try { socket.close(); } catch (IOException ex) { }
        } catch (IOException e) {
            e.printStackTrace();
        }
    }
}
