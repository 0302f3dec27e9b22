import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Extension B: the rules for one message. */
public class Message {
    /** Strict UTF-8 decoding: null if the bytes are not UTF-8. */
    public static String decode(byte[] data, int len) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, 0, len))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** The reply to an already trimmed, decoded message. */
    public static String reply(String message) {
        if (message.isEmpty()) return "ERROR: Empty message";
        if (message.codePointCount(0, message.length()) > 100) return "ERROR: Message too long";
        return "ACK: " + message;
    }
}
