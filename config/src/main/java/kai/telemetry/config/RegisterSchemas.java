package kai.telemetry.config;

import java.util.ArrayList;
import java.util.List;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.RegistrySerdeConfig;
import kai.telemetry.schemas.registry.SchemaRegistryClient;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * {@code kai register-schemas}: the deploy step that registers the value schema of every Avro topic
 * of the catalogue, with the program office's registry credentials, so that deployables can run
 * with {@code schema.registry.auto.register=false} and no running service can change a contract.
 * The registry's compatibility rule applies: an incompatible schema is refused, named. Registering
 * an unchanged schema again changes nothing.
 */
public final class RegisterSchemas {
  public static final String TEAMS = "register.teams";

  public static final ConfigDef DEF =
      CommonSettings.define(new ConfigDef())
          .define(
              TEAMS,
              ConfigDef.Type.LIST,
              List.of(),
              ConfigDef.Importance.HIGH,
              "Team ids (comma-separated, as provision.teams) whose intake topics' subjects to"
                  + " register too: their collectors run with auto-registration off.");

  private RegisterSchemas() {}

  /** Registers every schema; returns "subject=id" lines. */
  public static List<String> run(AbstractConfig config) {
    SchemaRegistryClient registry =
        new SchemaRegistryClient(
            config.getString(CommonSettings.SCHEMA_REGISTRY_URL),
            RegistrySerdeConfig.auth(CommonSettings.serdeConfig(config)));
    Topics topics = CommonSettings.topics(config);
    List<String> registered = new ArrayList<>();
    List<Topic<?, ?>> all = new ArrayList<>(topics.all());
    for (String team : config.getList(TEAMS)) {
      all.addAll(topics.team(team).all());
    }
    for (Topic<?, ?> t : all) {
      var type = t.valueAvroType();
      if (type.isEmpty()) {
        continue; // bytes: dead-letter topics keep the original bytes
      }
      String subject = RegistrySerdeConfig.subject(t.name(), false);
      int id = registry.register(subject, SpecificData.get().getSchema(type.get()));
      registered.add(subject + "=" + id);
    }
    return registered;
  }

  public static void main(String[] args) {
    try {
      AbstractConfig config =
          new AbstractConfig(DEF, ConfigLoader.load(DEF, args, System.getenv()));
      List<String> registered = run(config);
      registered.forEach(r -> System.out.println("register-schemas: " + r));
      System.out.printf(
          "register-schemas: %d subjects registered or already current at %s%n",
          registered.size(), config.getString(CommonSettings.SCHEMA_REGISTRY_URL));
    } catch (RuntimeException e) {
      System.err.println("register-schemas: " + e.getMessage());
      System.exit(1);
    }
  }
}
