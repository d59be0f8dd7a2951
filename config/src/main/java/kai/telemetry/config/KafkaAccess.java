package kai.telemetry.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Who may do what on the cluster: one Kafka principal per role, and the ACLs each needs and no
 * more. The broker denies everything else ({@code allow.everyone.if.no.acl.found=false}).
 *
 * <ul>
 *   <li>a team ({@code team-<id>}): writes and reads its own intake topics ({@code
 *       kai.team.<id>.*}: telemetry, self-reported results, its collectors' rejects and positions),
 *       with transactional ids under {@code kai-<id>-}; reads no other team's data and nothing
 *       attributed;
 *   <li>the intake job: reads every team's intake, writes the attributed raw topics (after checking
 *       each record's team against its topic's) and the quarantine;
 *   <li>the program office: the only writer of the reference topics (teams, catalogue, rules),
 *       evaluation scores, derivative models and official benchmark results; reads every topic;
 *   <li>each KPI job (its application id): reads the raw, reference and KPI topics, writes the KPI
 *       and alert topics and its dead letters, and owns the topics, group and transactional ids
 *       under its application id;
 *   <li>the sink: reads what it lands, writes only its dead letters;
 *   <li>operators: see topics, groups and configs, change nothing;
 *   <li>the demo simulator (demo deployments only): writes every team's intake, since it plays all
 *       of them; nothing of the program office's.
 * </ul>
 */
public final class KafkaAccess {
  /** Team ids as the program names them (the contract's rule). */
  public static final Pattern TEAM_ID = kai.telemetry.schemas.Ids.TEAM;

  /** The KPI jobs' commands; each job's principal is its application id, prefix-command. */
  public static final List<String> KPI_JOBS =
      List.of("fleet-kpi-job", "training-kpi-job", "scoreboard-job", "alerts-job");

  /** The intake job's command; its principal is its application id, prefix-command. */
  public static final String INTAKE_JOB = "intake-job";

  public static final String PROGRAM_OFFICE = "kai-program-office";
  public static final String OPERATOR = "kai-operator";
  public static final String SINK = "kai-clickhouse-sink";

  /** The demo simulator: publishes the program and every team's telemetry. Never in production. */
  public static final String DEMO_SIMULATOR = "kai-demo-simulator";

  private final Topics topics;

  public KafkaAccess(Topics topics) {
    this.topics = topics;
  }

  /** The principal of team {@code team}'s collectors. */
  public static String teamPrincipal(String team) {
    if (!TEAM_ID.matcher(team).matches()) {
      throw new IllegalArgumentException(
          "team id '" + team + "' is not lower-case letters, digits and dashes (1-63)");
    }
    return "team-" + team;
  }

  /** The transactional-id prefix team {@code team}'s collectors must use. */
  public static String teamTransactionPrefix(String team) {
    teamPrincipal(team);
    return "kai-" + team + "-";
  }

  /**
   * ACLs of a team's collectors: everything under its own intake prefix (which no other team's
   * prefix covers: team ids hold no dot), read back included, and nothing else.
   */
  public List<AclBinding> team(String team) {
    String user = teamPrincipal(team);
    List<AclBinding> acls = new ArrayList<>();
    allow(
        acls,
        user,
        new ResourcePattern(ResourceType.TOPIC, topics.team(team).prefix(), PatternType.PREFIXED),
        AclOperation.WRITE,
        AclOperation.DESCRIBE,
        AclOperation.READ); // the log follower reads back its committed positions at start
    allow(
        acls,
        user,
        new ResourcePattern(
            ResourceType.TRANSACTIONAL_ID, teamTransactionPrefix(team), PatternType.PREFIXED),
        AclOperation.WRITE,
        AclOperation.DESCRIBE);
    allow(acls, user, cluster(), AclOperation.IDEMPOTENT_WRITE);
    return acls;
  }

  /**
   * ACLs of the intake job ({@code applicationId}): reads every team's intake, writes the
   * attributed raw topics and the quarantine; the only writer of those raw topics besides the
   * program office's official benchmark results.
   */
  public List<AclBinding> intakeJob(String applicationId) {
    List<AclBinding> acls = new ArrayList<>();
    allow(
        acls,
        applicationId,
        new ResourcePattern(ResourceType.TOPIC, topics.teamsPrefix(), PatternType.PREFIXED),
        AclOperation.READ,
        AclOperation.DESCRIBE);
    // The teams reference: each team's allocation bounds the GPUs the intake takes from it.
    allow(acls, applicationId, topic(topics.teams), AclOperation.READ, AclOperation.DESCRIBE);
    for (Topic<?, ?> t :
        List.of(
            topics.gpuSamples,
            topics.trainingSteps,
            topics.trainingScalars,
            topics.runLifecycle,
            topics.benchmarkResults,
            topics.collectorRejects,
            topics.quarantine,
            topics.streamsDeadLetters)) {
      allow(acls, applicationId, topic(t), AclOperation.WRITE, AclOperation.DESCRIBE);
    }
    streamsApplication(acls, applicationId);
    return acls;
  }

  /** ACLs of the program office. */
  public List<AclBinding> programOffice() {
    List<AclBinding> acls = new ArrayList<>();
    for (Topic<?, ?> t :
        List.of(
            topics.teams,
            topics.benchmarks,
            topics.evaluationRules,
            topics.evaluationScores,
            topics.derivativeModels,
            topics.benchmarkResults,
            topics.collectorRejects)) { // what its official import refused
      allow(acls, PROGRAM_OFFICE, topic(t), AclOperation.WRITE);
    }
    for (Topic<?, ?> t : topics.all()) {
      allow(acls, PROGRAM_OFFICE, topic(t), AclOperation.READ, AclOperation.DESCRIBE);
    }
    allow(
        acls,
        PROGRAM_OFFICE,
        new ResourcePattern(ResourceType.TOPIC, topics.teamsPrefix(), PatternType.PREFIXED),
        AclOperation.READ,
        AclOperation.DESCRIBE);
    allow(
        acls,
        PROGRAM_OFFICE,
        new ResourcePattern(ResourceType.GROUP, PROGRAM_OFFICE, PatternType.PREFIXED),
        AclOperation.READ);
    allow(acls, PROGRAM_OFFICE, cluster(), AclOperation.IDEMPOTENT_WRITE);
    return acls;
  }

  /** ACLs of the KPI job whose Kafka Streams application id is {@code applicationId}. */
  public List<AclBinding> kpiJob(String applicationId) {
    List<AclBinding> acls = new ArrayList<>();
    for (Topic<?, ?> t :
        List.of(
            topics.gpuSamples,
            topics.trainingSteps,
            topics.runLifecycle,
            topics.benchmarkResults,
            topics.evaluationScores,
            topics.derivativeModels,
            topics.teams,
            topics.benchmarks,
            topics.evaluationRules,
            topics.teamFleetMinute,
            topics.clusterFleetMinute,
            topics.runMinute,
            topics.quarantine)) {
      allow(acls, applicationId, topic(t), AclOperation.READ, AclOperation.DESCRIBE);
    }
    for (Topic<?, ?> t :
        List.of(
            topics.teamFleetMinute,
            topics.clusterFleetMinute,
            topics.runMinute,
            topics.benchmarkStandings,
            topics.phaseScoreboard,
            topics.phaseStandings,
            topics.alerts,
            topics.streamsDeadLetters)) {
      allow(acls, applicationId, topic(t), AclOperation.WRITE, AclOperation.DESCRIBE);
    }
    streamsApplication(acls, applicationId);
    return acls;
  }

  /** What any Kafka Streams application needs of its own: internal topics, group, transactions. */
  private static void streamsApplication(List<AclBinding> acls, String applicationId) {
    // Its own internal topics (changelogs, repartitions), group and transactions.
    allow(
        acls,
        applicationId,
        new ResourcePattern(ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED),
        AclOperation.ALL);
    allow(
        acls,
        applicationId,
        new ResourcePattern(ResourceType.GROUP, applicationId, PatternType.PREFIXED),
        AclOperation.READ,
        AclOperation.DESCRIBE);
    allow(
        acls,
        applicationId,
        new ResourcePattern(
            ResourceType.TRANSACTIONAL_ID, applicationId + "-", PatternType.PREFIXED),
        AclOperation.WRITE,
        AclOperation.DESCRIBE);
    allow(
        acls,
        applicationId,
        cluster(),
        AclOperation.IDEMPOTENT_WRITE,
        AclOperation.DESCRIBE_CONFIGS);
  }

  /** ACLs of the sink with consumer group {@code groupId}. */
  public List<AclBinding> sink(String groupId) {
    List<AclBinding> acls = new ArrayList<>();
    for (Topic<?, ?> t : topics.all()) {
      if (t != topics.sinkDeadLetters && t != topics.streamsDeadLetters && t != topics.quarantine) {
        allow(acls, SINK, topic(t), AclOperation.READ, AclOperation.DESCRIBE);
      }
    }
    allow(acls, SINK, topic(topics.sinkDeadLetters), AclOperation.WRITE, AclOperation.DESCRIBE);
    allow(
        acls,
        SINK,
        new ResourcePattern(ResourceType.GROUP, groupId, PatternType.LITERAL),
        AclOperation.READ,
        AclOperation.DESCRIBE);
    allow(acls, SINK, cluster(), AclOperation.IDEMPOTENT_WRITE);
    return acls;
  }

  /**
   * ACLs of the demo simulator: every team's intake (it plays every team), and nothing of the
   * program office's.
   */
  public List<AclBinding> demoSimulator() {
    List<AclBinding> acls = new ArrayList<>();
    allow(
        acls,
        DEMO_SIMULATOR,
        new ResourcePattern(ResourceType.TOPIC, topics.teamsPrefix(), PatternType.PREFIXED),
        AclOperation.WRITE,
        AclOperation.DESCRIBE);
    allow(acls, DEMO_SIMULATOR, cluster(), AclOperation.IDEMPOTENT_WRITE);
    return acls;
  }

  /** ACLs of operators: describe everything, change nothing. */
  public List<AclBinding> operator() {
    List<AclBinding> acls = new ArrayList<>();
    allow(
        acls,
        OPERATOR,
        new ResourcePattern(ResourceType.TOPIC, "*", PatternType.LITERAL),
        AclOperation.DESCRIBE,
        AclOperation.DESCRIBE_CONFIGS);
    allow(
        acls,
        OPERATOR,
        new ResourcePattern(ResourceType.GROUP, "*", PatternType.LITERAL),
        AclOperation.DESCRIBE);
    allow(acls, OPERATOR, cluster(), AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS);
    return acls;
  }

  /**
   * Every principal's ACLs for a deployment whose jobs' application ids start with {@code
   * applicationIdPrefix} ({@code <prefix>-<command>}), whose sink has group {@code sinkGroup}, and
   * whose teams are {@code teams}; by principal.
   */
  public Map<String, List<AclBinding>> plan(
      String applicationIdPrefix, String sinkGroup, List<String> teams) {
    Map<String, List<AclBinding>> plan = new LinkedHashMap<>();
    plan.put(PROGRAM_OFFICE, programOffice());
    plan.put(OPERATOR, operator());
    plan.put(SINK, sink(sinkGroup));
    String intake = applicationIdPrefix + "-" + INTAKE_JOB;
    plan.put(intake, intakeJob(intake));
    for (String job : KPI_JOBS) {
      String applicationId = applicationIdPrefix + "-" + job;
      plan.put(applicationId, kpiJob(applicationId));
    }
    for (String team : teams) {
      plan.put(teamPrincipal(team), team(team));
    }
    return plan;
  }

  private static ResourcePattern topic(Topic<?, ?> t) {
    return new ResourcePattern(ResourceType.TOPIC, t.name(), PatternType.LITERAL);
  }

  private static ResourcePattern cluster() {
    return new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL);
  }

  private static void allow(
      List<AclBinding> acls, String user, ResourcePattern resource, AclOperation... operations) {
    for (AclOperation op : operations) {
      acls.add(
          new AclBinding(
              resource, new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW)));
    }
  }
}
