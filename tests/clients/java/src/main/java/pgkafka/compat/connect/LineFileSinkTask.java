package pgkafka.compat.connect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/** The task of {@link LineFileSinkConnector}. */
public final class LineFileSinkTask extends SinkTask {
    private FileChannel out;
    private final StringBuilder buffered = new StringBuilder();

    @Override
    public void start(Map<String, String> props) {
        try {
            out = FileChannel.open(Path.of(props.get("file")), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        for (SinkRecord r : records) {
            buffered.append(r.value()).append('\n');
        }
        if (buffered.length() > 1 << 16) {
            write();
        }
    }

    private void write() {
        try {
            var bytes = java.nio.ByteBuffer.wrap(buffered.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            buffered.setLength(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void flush(Map<TopicPartition, OffsetAndMetadata> offsets) {
        write();
        try {
            out.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException e) {
            // closing on stop
        }
    }

    @Override
    public String version() {
        return "1";
    }
}
