import java.net.*;
public class Config {
    String host; int port, bufferSize, timeout, maxClients;
    static int num(String role, String name, int def, int lo, int hi) {
        String raw = System.getenv(name);
        if (raw == null) return def;
        try { int v = Integer.parseInt(raw.trim()); if (v >= lo && v <= hi) return v; } catch (NumberFormatException e) {}
        System.err.println("[" + role + "] Error: " + name + "=\"" + raw + "\": not a number (" + lo + " to " + hi + ")");
        System.exit(2); return 0;
    }
    Config(String role) {
        String h = System.getenv("LAB_HOST"); host = h == null ? "127.0.0.1" : h.trim();
        port = num(role, "LAB_PORT", 5000, 0, 65535);
        bufferSize = num(role, "LAB_BUFFER_SIZE", 1024, 1, 16777216);
        timeout = num(role, "LAB_TIMEOUT", 5, 1, 86400);
        maxClients = num(role, "LAB_MAX_CLIENTS", 64, 1, 100000);
    }
    static String addr(InetAddress a, int p) { return a.getHostAddress() + ":" + p; }
    static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n') b.append("\\n"); else if (c == '\r') b.append("\\r"); else if (c == '\t') b.append("\\t");
            else if (Character.isISOControl(c)) b.append("\\u{" + Integer.toHexString(c) + "}"); else b.append(c);
        }
        return b.toString();
    }
    static String reply(String text) {
        String m = text.trim();
        if (m.isEmpty()) return "ERROR: Empty message";
        if (m.codePointCount(0, m.length()) > 100) return "ERROR: Message too long";
        return "ACK: " + m;
    }
}
