package kai.telemetry.streams.support;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import kai.telemetry.schemas.Ids;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The jobs' second check of ids (team, cluster, run, GPU; see {@code Ids}): a team's credentials
 * can write raw records without a collector, so a job trusts no id it has not checked. A record
 * whose ids fail goes to the jobs' dead-letter topic (its content as text, the reason in header
 * {@link #REASON}) and reaches no KPI; the others go on untouched.
 */
public final class ValidIds {
  public static final String REASON = "kai.dlq.reason";

  private ValidIds() {}

  /** Whether a GPU sample's ids (team, cluster, GPU) pass. */
  public static boolean sample(String team, String cluster, String gpu) {
    return Ids.isTeam(team) && Ids.isId(cluster) && Ids.isId(gpu);
  }

  /** What is wrong with a GPU sample's ids. */
  public static List<String> sampleProblems(String team, String cluster, String gpu) {
    List<String> why = new java.util.ArrayList<>();
    Ids.team(why, team);
    Ids.id(why, "cluster", cluster);
    Ids.id(why, "gpu_uuid", gpu);
    return why;
  }

  /**
   * The records of {@code in} whose ids pass {@code valid}; the others, with {@code reasons}, to
   * {@code deadLetterTopic}. {@code name} names the processors (stable across releases).
   */
  public static <V> KStream<String, V> only(
      KStream<String, V> in,
      String name,
      Predicate<V> valid,
      Function<V, List<String>> reasons,
      String deadLetterTopic) {
    var branches =
        in.split(Named.as(name + "-ids-"))
            .branch((k, v) -> v == null || valid.test(v), Branched.as("valid"))
            .defaultBranch(Branched.as("refused"));
    branches
        .get(name + "-ids-refused")
        .processValues(() -> new DeadLetter<V>(reasons), Named.as(name + "-ids-dead-letter"))
        .to(
            deadLetterTopic,
            Produced.with(Serdes.String(), Serdes.ByteArray())
                .withName(name + "-ids-dead-letter-sink"));
    return branches.get(name + "-ids-valid");
  }

  private static final class DeadLetter<V> implements FixedKeyProcessor<String, V, byte[]> {
    private final Function<V, List<String>> reasons;
    private FixedKeyProcessorContext<String, byte[]> context;

    DeadLetter(Function<V, List<String>> reasons) {
      this.reasons = reasons;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, byte[]> context) {
      this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, V> record) {
      String reason = "refused ids: " + String.join("; ", reasons.apply(record.value()));
      record.headers().add(REASON, reason.getBytes(StandardCharsets.UTF_8));
      String text = String.valueOf(record.value());
      if (text.length() > 100_000) {
        text = text.substring(0, 100_000) + "...";
      }
      context.forward(record.withValue(text.getBytes(StandardCharsets.UTF_8)));
    }
  }
}
