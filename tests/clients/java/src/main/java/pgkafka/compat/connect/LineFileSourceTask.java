package pgkafka.compat.connect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/** The task of {@link LineFileSourceConnector}: complete lines only, at most batch.size a poll; offset = byte position. */
public final class LineFileSourceTask extends SourceTask {
    private Path file;
    private String topic;
    private int batchSize;
    private Map<String, String> partition;
    private long position;
    private FileChannel channel;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 14);
    private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

    @Override
    public void start(Map<String, String> props) {
        file = Path.of(props.get("file"));
        topic = props.get("topic");
        batchSize = Integer.parseInt(props.getOrDefault("batch.size", "500"));
        partition = Map.of("file", file.toString());
        Map<String, Object> offset = context.offsetStorageReader().offset(partition);
        position = offset == null ? 0 : ((Number) offset.get("position")).longValue();
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        try {
            if (channel == null) {
                channel = FileChannel.open(file, StandardOpenOption.READ);
            }
            // Every poll starts at the byte after the last line sent: a partial last line, or
            // lines beyond the batch, are read again next time.
            channel.position(position);
            pending.reset();
            List<SourceRecord> out = new ArrayList<>();
            long linePos = position;
            read:
            while (out.size() < batchSize) {
                buf.clear();
                int n = channel.read(buf);
                if (n <= 0) {
                    break;
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    linePos++;
                    if (b != '\n') {
                        pending.write(b);
                        continue;
                    }
                    String line = pending.toString(StandardCharsets.UTF_8);
                    pending.reset();
                    position = linePos;
                    out.add(new SourceRecord(partition, Map.of("position", position), topic, 0, null, null, Schema.STRING_SCHEMA, line));
                    if (out.size() >= batchSize) {
                        break read;
                    }
                }
            }
            if (out.isEmpty()) {
                Thread.sleep(100);
                return null;
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            // closing on stop: nothing left to do
        }
    }

    @Override
    public String version() {
        return "1";
    }
}
