package pgkafka.compat.connect;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Reads a growing text file into a topic, one record per complete line; its source offset is the
 * byte position after the last line sent, so a restarted task resumes exactly there. Declares
 * exactly-once support: with exactly.once.source.support=enabled the worker writes each batch and
 * its offset in one transaction. (Kafka's FileStreamSourceConnector does the same job; its newest
 * jar on Maven Central, 4.3.1, does not load against the 4.4.0 runtime.)
 */
public final class LineFileSourceConnector extends SourceConnector {
    static final ConfigDef CONFIG = new ConfigDef()
            .define("file", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "file to read")
            .define("topic", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "topic to write")
            .define("batch.size", ConfigDef.Type.INT, 500, ConfigDef.Importance.LOW, "most records per poll");

    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
        this.props = props;
    }

    @Override
    public Class<? extends Task> taskClass() {
        return LineFileSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return List.of(props);
    }

    @Override
    public void stop() {}

    @Override
    public ConfigDef config() {
        return CONFIG;
    }

    @Override
    public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> props) {
        return ExactlyOnceSupport.SUPPORTED;
    }

    @Override
    public String version() {
        return "1";
    }
}
