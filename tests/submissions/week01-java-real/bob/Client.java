import java.io.*;
import java.net.*;

// Lab 1 - TCP Client
public class Client {
    public static void main(String[] args) {
        String host = "127.0.0.1";
        int port = 5000;
        if (System.getenv("LAB_HOST") != null) host = System.getenv("LAB_HOST");
        if (System.getenv("LAB_PORT") != null) port = Integer.parseInt(System.getenv("LAB_PORT"));

        String message = "Hello Server";
        if (args.length > 0) {
            message = String.join(" ", args);
        }

        try {
            Socket socket = new Socket(host, port);
            socket.setSoTimeout(5000); // 5 seconds
            System.out.println("[CLIENT] Connected to " + host + ":" + port);

            PrintWriter out = new PrintWriter(socket.getOutputStream(), true);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream()));

            System.out.println("[CLIENT] Sending: " + message);
            out.println(message);

            String response = in.readLine();
            System.out.println("[CLIENT] Received: " + response);

            socket.close();
            System.out.println("[CLIENT] Closed connection");
        } catch (SocketTimeoutException e) {
            System.out.println("[CLIENT] Server did not respond in time");
        } catch (Exception e) {
            e.printStackTrace();
        }
    }
}
