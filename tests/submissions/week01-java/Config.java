import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/** Settings shared by all five programs, read from the LAB_* environment variables. */
public class Config {
    public final String host;
    public final int port;
    public final int bufferSize;
    public final int timeout;      // seconds
    public final int maxClients;

    private Config(String host, int port, int bufferSize, int timeout, int maxClients) {
        this.host = host;
        this.port = port;
        this.bufferSize = bufferSize;
        this.timeout = timeout;
        this.maxClients = maxClients;
    }

    /** Reads the environment; a bad value is a usage error (exit 2). */
    public static Config fromEnv() {
        // our console lines are UTF-8 whatever the locale says
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        String host = get("LAB_HOST", "127.0.0.1");
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port = number("LAB_PORT", 5000, 0, 65535, "not a port number (0 to 65535)");
        int buf = number("LAB_BUFFER_SIZE", 1024, 1, 16777216, "not a buffer size (1 to 16777216)");
        int timeout = number("LAB_TIMEOUT", 5, 1, 86400, "not a whole number of seconds (1 to 86400)");
        int max = number("LAB_MAX_CLIENTS", 64, 1, 100000, "not a number of clients (1 to 100000)");
        return new Config(host, port, buf, timeout, max);
    }

    private static String get(String name, String def) {
        String v = System.getenv(name);
        return v == null ? def : v.strip();
    }

    private static int number(String name, int def, int min, int max, String what) {
        String raw = System.getenv(name);
        if (raw == null) return def;
        try {
            int n = Integer.parseInt(raw.strip());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException e) {
            // fall through
        }
        System.err.println("error: invalid value \"" + raw + "\" in the environment variable " + name + ": " + what);
        System.exit(2);
        return def;
    }

    /** 127.0.0.1:5000, or [::1]:5000 for IPv6. */
    public static String addr(String host, int port) {
        if (host.contains(":")) return "[" + host + "]:" + port;
        return host + ":" + port;
    }

    public static String addr(InetAddress a, int port) {
        return addr(a.getHostAddress(), port);
    }

    public static String peer(Socket s) {
        return addr(s.getInetAddress(), s.getPort());
    }

    public String target() {
        return addr(host, port);
    }

    /** Control characters escaped, so one event is one console line. */
    public static String escape(String text) {
        StringBuilder sb = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (Character.isISOControl(c)) sb.append("\\u{").append(Integer.toHexString(c)).append("}");
            else sb.appendCodePoint(c);
        });
        return sb.toString();
    }

    /** Lower-case reason of an IOException, e.g. "address already in use". */
    public static String reason(Exception e) {
        String m = e.getMessage();
        if (m == null) return e.getClass().getSimpleName();
        int paren = m.indexOf(" (");
        if (paren > 0) m = m.substring(0, paren);
        return m.toLowerCase();
    }
}
