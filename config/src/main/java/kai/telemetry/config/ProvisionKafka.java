package kai.telemetry.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code kai provision-kafka}: makes a cluster ready for the pipeline, as its administrator. It
 * creates the catalogue's topics that are missing (each team's intake included: a team that joins
 * is added to {@code provision.teams} and provisioned again), sets the SCRAM credentials of the
 * principals named in a users file, and grants every principal of the access plan ({@link
 * KafkaAccess}) its ACLs. It changes nothing that is already right, so it can run at every
 * deployment; it prints what it did, and exits non-zero when a step fails.
 */
public final class ProvisionKafka {
  public static final String TEAMS = "provision.teams";
  public static final String APPLICATION_ID_PREFIX = "provision.application.id.prefix";
  public static final String SINK_GROUP = "provision.sink.group.id";
  public static final String REPLICATION = "provision.replication.factor";
  public static final String USERS_FILE = "provision.users.file";
  public static final String DEMO = "provision.demo";

  /**
   * Prefix of the environment variables that carry a principal's password, as an alternative to the
   * users file: {@code KAI_USER_PASSWORD_} and the principal upper-cased, dashes as underscores
   * ({@code KAI_USER_PASSWORD_KAI_FLEET_KPI_JOB}).
   */
  public static final String USER_ENV = "KAI_USER_PASSWORD_";

  public static final ConfigDef DEF =
      CommonSettings.define(new ConfigDef())
          .define(
              TEAMS,
              Type.LIST,
              List.of(),
              Importance.HIGH,
              "Team ids (comma-separated): each gets its intake topics kai.team.<id>.* and a principal"
                  + " team-<id> that writes only those.")
          .define(
              APPLICATION_ID_PREFIX,
              Type.STRING,
              "kai",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "The jobs' application.id.prefix: each job's principal is <prefix>-<command>.")
          .define(
              SINK_GROUP,
              Type.STRING,
              "kai-clickhouse-sink",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "The sink's consumer group (sink.group.id).")
          .define(
              REPLICATION,
              Type.SHORT,
              (short) 3,
              Range.between(1, 7),
              Importance.HIGH,
              "Replication factor of the topics it creates (3 on a production cluster).")
          .define(
              USERS_FILE,
              Type.STRING,
              "",
              Importance.HIGH,
              "Properties file of user=password: SCRAM-SHA-512 credentials to set. Every user must"
                  + " be a principal of the plan. A principal's password can also come from"
                  + " KAI_USER_PASSWORD_<PRINCIPAL> (upper case, dashes as underscores). Neither:"
                  + " credentials are managed elsewhere.")
          .define(
              DEMO,
              Type.BOOLEAN,
              false,
              Importance.LOW,
              "Also grant the demo simulator (kai-demo-simulator): demo deployments only.");

  private ProvisionKafka() {}

  /** What one run did. */
  public record Result(
      List<String> topicsCreated,
      int topicsPresent,
      List<String> credentialsSet,
      int aclsGranted) {}

  public static Result run(AbstractConfig config) {
    return run(config, System.getenv());
  }

  /** As {@link #run(AbstractConfig)}, with passwords also from {@code env} ({@link #USER_ENV}). */
  public static Result run(AbstractConfig config, Map<String, String> env) {
    Topics topics = CommonSettings.topics(config);
    KafkaAccess access = new KafkaAccess(topics);
    String prefix = config.getString(APPLICATION_ID_PREFIX);
    Map<String, List<AclBinding>> plan =
        access.plan(prefix, config.getString(SINK_GROUP), config.getList(TEAMS));
    if (config.getBoolean(DEMO)) {
      plan.put(KafkaAccess.DEMO_SIMULATOR, access.demoSimulator());
    }
    Map<String, String> users = users(config.getString(USERS_FILE));
    for (String principal : plan.keySet()) {
      String password = env.get(userEnvName(principal));
      if (password != null && !password.isBlank()) {
        users.put(principal, checkedPassword(userEnvName(principal), principal, password));
      }
    }
    for (String user : users.keySet()) {
      if (!plan.containsKey(user)) {
        throw new ConfigException(
            USERS_FILE, user, "not a principal of the access plan: " + plan.keySet());
      }
    }
    try (Admin admin = Admin.create(KafkaClients.of(config).admin("kai-provision-kafka"))) {
      Set<String> existing = admin.listTopics().names().get();
      List<Topic<?, ?>> wanted = new ArrayList<>(topics.all());
      for (String team : config.getList(TEAMS)) {
        wanted.addAll(topics.team(team).all()); // the team's intake
      }
      List<NewTopic> missing = new ArrayList<>();
      for (Topic<?, ?> t : wanted) {
        if (!existing.contains(t.name())) {
          missing.add(t.newTopic(config.getShort(REPLICATION)));
        }
      }
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get();
      }
      // Topics that exist are kept at the catalogue's retention and cleanup policy.
      Map<org.apache.kafka.common.config.ConfigResource, java.util.Collection<AlterConfigOp>> keep =
          new java.util.HashMap<>();
      for (Topic<?, ?> t : wanted) {
        if (existing.contains(t.name())) {
          keep.put(
              new org.apache.kafka.common.config.ConfigResource(
                  org.apache.kafka.common.config.ConfigResource.Type.TOPIC, t.name()),
              t.configs().entrySet().stream()
                  .map(
                      e ->
                          new AlterConfigOp(
                              new org.apache.kafka.clients.admin.ConfigEntry(
                                  e.getKey(), e.getValue()),
                              AlterConfigOp.OpType.SET))
                  .toList());
        }
      }
      if (!keep.isEmpty()) {
        admin.incrementalAlterConfigs(keep).all().get();
      }
      if (!users.isEmpty()) {
        List<UserScramCredentialAlteration> credentials = new ArrayList<>();
        users.forEach(
            (user, password) ->
                credentials.add(
                    new UserScramCredentialUpsertion(
                        user,
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                        password)));
        admin.alterUserScramCredentials(credentials).all().get();
        awaitLogins(config, users);
      }
      Set<AclBinding> present =
          new java.util.HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get());
      List<AclBinding> grants = new ArrayList<>();
      plan.values()
          .forEach(list -> list.stream().filter(a -> !present.contains(a)).forEach(grants::add));
      if (!grants.isEmpty()) {
        admin.createAcls(grants).all().get();
      }
      return new Result(
          missing.stream().map(NewTopic::name).sorted().toList(),
          wanted.size() - missing.size(),
          new ArrayList<>(new TreeSet<>(users.keySet())),
          grants.size());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "provisioning failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * Waits until every user can log in: a credential reaches the broker's authenticator through the
   * metadata log a moment after the controller has taken it, and a collector started right after
   * provisioning must not meet a refusal it would take as final.
   */
  private static void awaitLogins(AbstractConfig config, Map<String, String> users)
      throws InterruptedException {
    Map<String, Object> base = KafkaClients.of(config).admin("kai-provision-kafka-check");
    Object protocol = base.get("security.protocol");
    if (protocol == null
        || !protocol.toString().toUpperCase(java.util.Locale.ROOT).startsWith("SASL")) {
      return; // the administrator does not use SASL here, so users cannot be checked this way
    }
    for (Map.Entry<String, String> user : users.entrySet()) {
      Map<String, Object> c = new java.util.HashMap<>(base);
      c.put("sasl.mechanism", "SCRAM-SHA-512");
      c.put(
          "sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
              + user.getKey()
              + "\" password=\""
              + user.getValue()
              + "\";");
      c.put("default.api.timeout.ms", 5_000);
      c.put("request.timeout.ms", 5_000);
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (true) {
        try (Admin probe = Admin.create(c)) {
          probe.describeCluster().clusterId().get();
          break;
        } catch (ExecutionException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                user.getKey()
                    + " cannot log in 30 s after its credential was set: "
                    + e.getCause().getMessage());
          }
          Thread.sleep(250);
        }
      }
    }
  }

  private static Map<String, String> users(String file) {
    if (file.isBlank()) {
      return new java.util.TreeMap<>();
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read users file " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> users = new java.util.TreeMap<>();
    for (String user : p.stringPropertyNames()) {
      users.put(user, checkedPassword(USERS_FILE, user, p.getProperty(user).trim()));
    }
    return users;
  }

  /** The environment variable that can carry {@code principal}'s password. */
  public static String userEnvName(String principal) {
    return USER_ENV + principal.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
  }

  private static String checkedPassword(String where, String user, String password) {
    if (password.length() < 12) {
      throw new ConfigException(where, user, "password shorter than 12 characters");
    }
    if (password.contains("\"") || password.contains("\\")) {
      // A client's JAAS setting quotes the password: these would end or escape it.
      throw new ConfigException(where, user, "password contains a quote or a backslash");
    }
    return password;
  }

  public static void main(String[] args) {
    try {
      AbstractConfig config =
          new AbstractConfig(DEF, ConfigLoader.load(DEF, args, System.getenv()));
      Result r = run(config);
      System.out.printf(
          "provision-kafka: topics created %s, %d already present; credentials set for %s;"
              + " ACLs granted %d (the rest were in place)%n",
          r.topicsCreated(), r.topicsPresent(), r.credentialsSet(), r.aclsGranted());
    } catch (RuntimeException e) {
      System.err.println("provision-kafka: " + e.getMessage());
      System.exit(1);
    }
  }
}
