import java.io.*;
import java.net.*;

// Lab 1 - TCP Server
// Bob, 2nd year
public class Server {
    public static void main(String[] args) {
        int port = 5000;
        if (System.getenv("LAB_PORT") != null) {
            port = Integer.parseInt(System.getenv("LAB_PORT"));
        }
        try {
            ServerSocket serverSocket = new ServerSocket(port);
            System.out.println("[SERVER] Listening on 127.0.0.1:" + serverSocket.getLocalPort());

            Socket socket = serverSocket.accept();
            System.out.println("[SERVER] Connection from " + socket.getInetAddress() + ":" + socket.getPort());

            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream()));
            PrintWriter out = new PrintWriter(socket.getOutputStream(), true);

            String message = in.readLine();
            message = message.trim();
            System.out.println("[SERVER] Received: " + message);

            String reply = "ACK: " + message;
            out.println(reply);
            System.out.println("[SERVER] Sent: " + reply);

            socket.close();
            serverSocket.close();
            System.out.println("[SERVER] Closed connection");
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(0);
        }
    }
}
