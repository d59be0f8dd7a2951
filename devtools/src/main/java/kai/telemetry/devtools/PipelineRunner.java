package kai.telemetry.devtools;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.KafkaAccess;
import kai.telemetry.producers.program.ProgramFile;
import kai.telemetry.producers.program.PublishProgram;
import kai.telemetry.producers.program.Team;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.sinks.clickhouse.ClickHouseSink;
import kai.telemetry.sinks.clickhouse.ClickHouseSinkApp;
import kai.telemetry.sinks.clickhouse.SinkConfig;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.ClickHouseUser;
import kai.telemetry.stack.KafkaUsers;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.alerts.AlertsJob;
import kai.telemetry.streams.fleet.FleetKpiJob;
import kai.telemetry.streams.intake.IntakeJob;
import kai.telemetry.streams.program.ScoreboardJob;
import kai.telemetry.streams.training.TrainingKpiJob;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's processing stages (the intake job, the KPI streams jobs and the ClickHouse sink)
 * running against a local stack, configured through the same config classes the deployables use.
 */
public final class PipelineRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PipelineRunner.class);

  /** What differs between the local run and a test: names, grace, where state lives. */
  public record Options(
      String topicPrefix,
      String database,
      Duration grace,
      Path stateDir,
      int sinkMetricsPort,
      Map<String, String> overrides) {
    public Options(
        String topicPrefix, String database, Duration grace, Path stateDir, int sinkMetricsPort) {
      this(topicPrefix, database, grace, stateDir, sinkMetricsPort, Map.of());
    }

    /**
     * Settings for the jobs and the sink beyond these: each goes to whichever of them defines it
     * ({@code kafka.*} to all); a key none defines is refused.
     */
    public Options {
      overrides = Map.copyOf(overrides);
      for (String key : overrides.keySet()) {
        if (!key.startsWith("kafka.")
            && !KpiStreamsConfig.DEF.names().contains(key)
            && !SinkConfig.DEF.names().contains(key)) {
          throw new IllegalArgumentException(
              "'" + key + "' is no setting of the KPI jobs or the sink");
        }
      }
    }

    private Map<String, String> definedBy(java.util.Set<String> names) {
      Map<String, String> out = new HashMap<>();
      overrides.forEach(
          (k, v) -> {
            if (k.startsWith("kafka.") || names.contains(k)) {
              out.put(k, v);
            }
          });
      return out;
    }
  }

  private final List<KafkaStreams> jobs;
  private final ClickHouseSink sink;
  private final Thread sinkThread;

  private final Map<String, Object> common;
  private final Map<String, KafkaUsers.Principal> principals;
  private final List<PipelineHealth.Stage> stages;

  private PipelineRunner(
      List<KafkaStreams> jobs,
      ClickHouseSink sink,
      Thread sinkThread,
      Map<String, Object> common,
      Map<String, KafkaUsers.Principal> principals,
      List<PipelineHealth.Stage> stages) {
    this.jobs = jobs;
    this.sink = sink;
    this.sinkThread = sinkThread;
    this.common = common;
    this.principals = principals;
    this.stages = stages;
  }

  /** The stages that read Kafka, in pipeline order, with their consumer groups. */
  List<PipelineHealth.Stage> stages() {
    return stages;
  }

  /**
   * The simulator's connection: the demo principal's credentials, the registry and the topic
   * prefix; add the simulator's own settings.
   */
  public Map<String, Object> simulatorSettings() {
    return settingsOf(KafkaAccess.DEMO_SIMULATOR);
  }

  /**
   * A collector's connection as team {@code team} (one of the demo program's): that team's
   * principal, the registry and the topic prefix.
   */
  public Map<String, Object> teamSettings(String team) {
    return settingsOf(KafkaAccess.teamPrincipal(team));
  }

  /** The program office's connection: its principal, the registry and the topic prefix. */
  public Map<String, Object> programOfficeSettings() {
    return settingsOf(KafkaAccess.PROGRAM_OFFICE);
  }

  private Map<String, Object> settingsOf(String principal) {
    KafkaUsers.Principal p = principals.get(principal);
    if (p == null) {
      throw new IllegalArgumentException("no principal " + principal + " in this pipeline");
    }
    Map<String, Object> settings = new HashMap<>(common);
    settings.putAll(p.deployableSettings());
    return settings;
  }

  /** Creates the topics, starts the KPI jobs and the sink; returns once all run. */
  public static PipelineRunner start(LocalStack stack, Options options) {
    Topics topics = Topics.withPrefix(options.topicPrefix());
    // The demo program's teams: their intake topics exist before anything writes to them.
    List<String> teams = ProgramFile.launchDefault().activeTeams().stream().map(Team::id).toList();
    createTopics(stack, topics, teams);

    Map<String, Object> common = new HashMap<>();
    common.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    common.put(CommonSettings.TOPIC_PREFIX, options.topicPrefix());

    Map<String, Object> streamsSettings = new HashMap<>(common);
    streamsSettings.put(KpiStreamsConfig.APPLICATION_ID_PREFIX, options.topicPrefix() + "kai");
    streamsSettings.put(KpiStreamsConfig.STATE_DIR, options.stateDir().toString());
    streamsSettings.put(KpiStreamsConfig.GRACE_MS, options.grace().toMillis());
    streamsSettings.putAll(options.definedBy(KpiStreamsConfig.DEF.names()));
    KpiStreamsConfig names = new KpiStreamsConfig(streamsSettings);
    List<String> jobs =
        List.of(
            IntakeJob.JOB, FleetKpiJob.JOB, TrainingKpiJob.JOB, ScoreboardJob.JOB, AlertsJob.JOB);
    String sinkGroup = options.topicPrefix() + "kai-clickhouse-sink";

    // Each stage runs as its own principal, with only the rights the access plan gives it.
    Map<String, KafkaUsers.Principal> principals =
        stack.createPrincipals(
            new KafkaAccess(topics)
                .plan(
                    streamsSettings.get(KpiStreamsConfig.APPLICATION_ID_PREFIX).toString(),
                    sinkGroup,
                    teams));
    principals.putAll(
        stack.createPrincipals(
            Map.of(KafkaAccess.DEMO_SIMULATOR, new KafkaAccess(topics).demoSimulator())));
    List<KafkaStreams> running = new ArrayList<>();
    for (String job : jobs) {
      Map<String, Object> settings = new HashMap<>(streamsSettings);
      settings.putAll(principals.get(names.applicationId(job)).deployableSettings());
      KpiStreamsConfig config = new KpiStreamsConfig(settings);
      running.add(
          switch (job) {
            case IntakeJob.JOB -> IntakeJob.start(config);
            case FleetKpiJob.JOB -> FleetKpiJob.start(config);
            case TrainingKpiJob.JOB -> TrainingKpiJob.start(config);
            case ScoreboardJob.JOB -> ScoreboardJob.start(config);
            default -> AlertsJob.start(config);
          });
    }

    Map<String, Object> sinkSettings = new HashMap<>(common);
    sinkSettings.putAll(principals.get(KafkaAccess.SINK).deployableSettings());
    sinkSettings.put(SinkConfig.CLICKHOUSE_URL, stack.clickhouse().jdbcUrl());
    sinkSettings.put(SinkConfig.CLICKHOUSE_HTTP_URL, stack.clickhouse().httpUrl());
    sinkSettings.put(SinkConfig.CLICKHOUSE_DATABASE, options.database());
    // The product's database is written by its own confined user, as in production; a test's
    // scratch database (which that user may not touch) by the server's administrator.
    if (options.database().equals(ClickHouseUser.DATABASE)) {
      sinkSettings.put(SinkConfig.CLICKHOUSE_USER, ClickHouseUser.SINK.user());
      sinkSettings.put(SinkConfig.CLICKHOUSE_PASSWORD, ClickHouseUser.SINK.localPassword());
    }
    sinkSettings.put(SinkConfig.GROUP_ID, sinkGroup);
    sinkSettings.put(SinkConfig.METRICS_PORT, options.sinkMetricsPort());
    sinkSettings.putAll(options.definedBy(SinkConfig.DEF.names()));
    ClickHouseSink sink = ClickHouseSinkApp.create(new SinkConfig(sinkSettings));
    Thread sinkThread = new Thread(sink, "clickhouse-sink");
    sinkThread.setUncaughtExceptionHandler(
        (t, e) -> log.error("ClickHouse sink stopped on an error; offsets stay uncommitted", e));
    sinkThread.start();

    Await.until(
        "the KPI jobs to run",
        Duration.ofSeconds(60),
        () -> {
          for (KafkaStreams job : running) {
            if (job.state() == KafkaStreams.State.ERROR
                || job.state() == KafkaStreams.State.NOT_RUNNING) {
              throw new IllegalStateException("a KPI job is " + job.state());
            }
          }
          return running.stream().allMatch(j -> j.state() == KafkaStreams.State.RUNNING);
        });
    log.info(
        "pipeline running (topics prefix '{}', database {})",
        options.topicPrefix(),
        options.database());
    List<PipelineHealth.Stage> stages = new ArrayList<>();
    for (String job : jobs) {
      stages.add(new PipelineHealth.Stage(job, names.applicationId(job)));
    }
    stages.add(new PipelineHealth.Stage("clickhouse-sink", sinkGroup));
    PipelineRunner runner =
        new PipelineRunner(running, sink, sinkThread, common, principals, List.copyOf(stages));
    // The program, as the program office publishes it, its teams labelled as demo data: the
    // simulator plays the teams, never the office.
    Map<String, Object> office = runner.programOfficeSettings();
    office.put(PublishProgram.PROGRAM_FILE, ProgramFile.DEFAULT_RESOURCE);
    PublishProgram.Result published =
        PublishProgram.run(
            new org.apache.kafka.common.config.AbstractConfig(PublishProgram.DEF, office),
            ProgramFile.launchDefault().asDemo(),
            System.currentTimeMillis());
    log.info(
        "program published as the program office: {} records, {} already current",
        published.changes().size(),
        published.unchanged());
    return runner;
  }

  /** Creates the catalogue's topics and the intake topics of {@code teams} that are missing. */
  static void createTopics(LocalStack stack, Topics topics, List<String> teams) {
    List<Topic<?, ?>> wanted = new ArrayList<>(topics.all());
    teams.forEach(team -> wanted.addAll(topics.team(team).all()));
    try (Admin admin = stack.kafka().admin()) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing =
          wanted.stream()
              .filter(t -> !existing.contains(t.name()))
              .map((Topic<?, ?> t) -> t.newTopic((short) 1))
              .toList();
      if (!missing.isEmpty()) {
        stack.kafka().createTopics(missing);
        log.info("created topics {}", missing.stream().map(NewTopic::name).toList());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create topics: " + e.getCause(), e.getCause());
    }
  }

  /** Each stage's consumer lag, summed over its partitions. */
  public Map<String, Long> lag(org.apache.kafka.clients.admin.Admin admin) {
    return PipelineHealth.lag(admin, stages);
  }

  public boolean healthy() {
    return sinkThread.isAlive() && jobs.stream().allMatch(j -> j.state().isRunningOrRebalancing());
  }

  public ClickHouseSink sink() {
    return sink;
  }

  /** Stops the job and the sink; the sink flushes and commits what it has read. */
  @Override
  public void close() {
    jobs.forEach(j -> j.close(Duration.ofSeconds(30)));
    try {
      if (!sink.stopAndAwait(Duration.ofSeconds(60))) {
        log.warn("sink did not finish its final flush in 60 s");
      }
      sinkThread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sink.close();
    log.info("pipeline stopped: sink {}", sink.metrics());
  }
}
