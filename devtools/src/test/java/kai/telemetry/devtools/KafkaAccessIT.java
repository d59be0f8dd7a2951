package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import kai.telemetry.config.KafkaAccess;
import kai.telemetry.schemas.TeamTopics;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.KafkaSasl;
import kai.telemetry.stack.KafkaUsers.Principal;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The broker enforces the access plan: every connection authenticates, and each principal can do
 * what its role needs and nothing else. Checked on the real broker, principal by principal.
 */
@ExtendWith(RealStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaAccessIT {
  private final TestNamespace ns = TestNamespace.of(KafkaAccessIT.class);
  private final Topics topics = Topics.withPrefix(ns.topicPrefix());
  private final String fleetJob = ns.topicPrefix() + "kai-fleet-kpi-job";
  private final String intakeJob = ns.topicPrefix() + "kai-" + KafkaAccess.INTAKE_JOB;
  private final TeamTopics upstageIntake = topics.team("upstage");
  private final TeamTopics ncAiIntake = topics.team("nc-ai");
  private Map<String, Principal> principals;

  @BeforeAll
  void createTopicsAndPrincipals(LocalStack stack) {
    PipelineRunner.createTopics(stack, topics, List.of("upstage", "nc-ai"));
    KafkaAccess access = new KafkaAccess(topics);
    Map<String, List<org.apache.kafka.common.acl.AclBinding>> plan =
        new HashMap<>(
            access.plan(
                ns.topicPrefix() + "kai", ns.topicPrefix() + "sink", List.of("upstage", "nc-ai")));
    plan.put("nobody", List.of()); // authenticates, holds no ACL
    principals = stack.createPrincipals(plan);
  }

  @Test
  void aWrongPasswordIsRefused(LocalStack stack) {
    Map<String, Object> wrong =
        new HashMap<>(KafkaSasl.clientConfig(stack.bootstrapServers(), KafkaSasl.ADMIN, "wrong"));
    wrong.put("default.api.timeout.ms", 10_000);
    wrong.put("request.timeout.ms", 5_000);
    try (Admin admin = Admin.create(wrong)) {
      assertThatThrownBy(() -> admin.describeCluster().nodes().get())
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(SaslAuthenticationException.class);
    }
    Map<String, Object> plaintext = Map.of("bootstrap.servers", stack.bootstrapServers());
    try (Admin admin = Admin.create(withTimeouts(plaintext))) {
      assertThatThrownBy(() -> admin.describeCluster().nodes().get())
          .as("an unauthenticated connection gets nothing")
          .isInstanceOf(Exception.class);
    }
  }

  @Test
  void aPrincipalWithoutAclsCanDoNothing() throws Exception {
    Principal nobody = principals.get("nobody");
    assertWriteRefused(nobody, topics.gpuSamples);
    assertReadRefused(nobody, topics.gpuSamples);
    try (Admin admin = Admin.create(withTimeouts(nobody.clientConfig()))) {
      assertThat(admin.listTopics().names().get()).as("it sees no topic").isEmpty();
    }
  }

  @Test
  void aTeamWritesOnlyItsOwnIntakeAndReadsNoOtherData() throws Exception {
    Principal upstage = principals.get(KafkaAccess.teamPrincipal("upstage"));
    for (Topic<?, ?> own : upstageIntake.all()) {
      assertWriteAccepted(upstage, own);
    }
    assertReadAccepted(upstage, upstageIntake.collectorPositions);
    // Not another team's intake, not the attributed raw topics (which would skip the intake's
    // check), not the program's topics, the KPIs or the quarantine.
    for (Topic<?, ?> t : ncAiIntake.all()) {
      assertWriteRefused(upstage, t);
      assertReadRefused(upstage, t);
    }
    for (Topic<?, ?> t : topics.all()) {
      assertWriteRefused(upstage, t);
      assertReadRefused(upstage, t);
    }
    // Another team's transactional ids (a way to fence its log follower) are not its own.
    Map<String, Object> p = new HashMap<>(producer(upstage));
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, KafkaAccess.teamTransactionPrefix("nc-ai") + "x");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      assertThatThrownBy(producer::initTransactions).isInstanceOf(AuthorizationException.class);
    }
    Map<String, Object> own = new HashMap<>(producer(upstage));
    own.put(
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, KafkaAccess.teamTransactionPrefix("upstage") + "x");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(own)) {
      producer.initTransactions();
    }
  }

  @Test
  void onlyTheIntakeJobCopiesIntakeToTheAttributedTopics() throws Exception {
    Principal intake = principals.get(intakeJob);
    assertReadAccepted(intake, ncAiIntake.gpuSamples);
    assertWriteAccepted(intake, topics.gpuSamples);
    assertWriteAccepted(intake, topics.quarantine);
    assertWriteRefused(intake, topics.teams);
    assertWriteRefused(intake, topics.teamFleetMinute);
    assertWriteRefused(intake, ncAiIntake.gpuSamples);
    Principal job = principals.get(fleetJob);
    assertReadRefused(job, ncAiIntake.gpuSamples);
    assertWriteRefused(job, topics.gpuSamples);
  }

  @Test
  void onlyTheProgramOfficeWritesTheProgramAndOnlyTheJobsWriteKpis() throws Exception {
    Principal office = principals.get(KafkaAccess.PROGRAM_OFFICE);
    Principal job = principals.get(fleetJob);
    Principal sink = principals.get(KafkaAccess.SINK);
    Principal operator = principals.get(KafkaAccess.OPERATOR);
    assertWriteAccepted(office, topics.teams);
    assertWriteAccepted(office, topics.evaluationScores);
    assertWriteAccepted(office, topics.benchmarkResults); // official results
    assertWriteRefused(office, upstageIntake.gpuSamples);
    assertWriteRefused(office, topics.teamFleetMinute);
    assertWriteAccepted(job, topics.teamFleetMinute);
    assertWriteRefused(job, topics.teams);
    assertWriteRefused(job, topics.gpuSamples);
    assertWriteRefused(sink, topics.teamFleetMinute);
    assertWriteRefused(sink, topics.teams);
    assertWriteRefused(operator, topics.teams);
    assertReadRefused(operator, topics.gpuSamples);
  }

  private static Map<String, Object> withTimeouts(Map<String, Object> client) {
    Map<String, Object> c = new HashMap<>(client);
    c.put("default.api.timeout.ms", 15_000);
    c.put("request.timeout.ms", 5_000);
    return c;
  }

  private static Map<String, Object> producer(Principal p) {
    Map<String, Object> c = new HashMap<>(p.clientConfig());
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    return c;
  }

  private static void assertWriteAccepted(Principal p, Topic<?, ?> t) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producer(p))) {
      assertThat(
              producer
                  .send(new ProducerRecord<>(t.name(), new byte[] {1}, new byte[] {1}))
                  .get()
                  .offset())
          .as("%s writes %s", p.user(), t.name())
          .isNotNegative();
    }
  }

  private static void assertWriteRefused(Principal p, Topic<?, ?> t) {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producer(p))) {
      assertThatThrownBy(
              () ->
                  producer
                      .send(new ProducerRecord<>(t.name(), new byte[] {1}, new byte[] {1}))
                      .get())
          .as("%s must not write %s", p.user(), t.name())
          .satisfies(
              e ->
                  assertThat(
                          e instanceof AuthorizationException
                              || e.getCause() instanceof AuthorizationException)
                      .as("refused for authorization: %s", e)
                      .isTrue());
    }
  }

  private static void assertReadAccepted(Principal p, Topic<?, ?> t) {
    Map<String, Object> c = new HashMap<>(p.clientConfig());
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
      var part = new org.apache.kafka.common.TopicPartition(t.name(), 0);
      consumer.assign(List.of(part));
      consumer.seekToBeginning(List.of(part));
      consumer.poll(Duration.ofMillis(500));
      assertThat(consumer.position(part)).as("%s reads %s", p.user(), t.name()).isNotNegative();
    }
  }

  /** Refused for the topic itself: no consumer group is involved (assign, as the follower does). */
  private static void assertReadRefused(Principal p, Topic<?, ?> t) {
    Map<String, Object> c = new HashMap<>(p.clientConfig());
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
      consumer.assign(List.of(new org.apache.kafka.common.TopicPartition(t.name(), 0)));
      assertThatThrownBy(
              () -> {
                for (int i = 0; i < 20; i++) {
                  consumer.poll(Duration.ofMillis(500));
                }
              })
          .as("%s must not read %s", p.user(), t.name())
          .isInstanceOf(TopicAuthorizationException.class);
    }
  }
}
