package kai.telemetry.stack;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;

/**
 * Creates principals on the stack's broker, as an operator would with kafka-configs and kafka-acls:
 * a SCRAM credential per user (a new random password) and the ACLs given.
 */
public final class KafkaUsers {
  /** A principal and its password. */
  public record Principal(String user, String password, String bootstrapServers) {
    /** Settings of a client authenticated as this principal. */
    public Map<String, Object> clientConfig() {
      return KafkaSasl.clientConfig(bootstrapServers, user, password);
    }

    /** This principal's connection as a deployable's settings (bootstrap.servers, kafka.*). */
    public Map<String, Object> deployableSettings() {
      return LocalStack.asDeployableSettings(clientConfig());
    }

    /** {@link #deployableSettings()} as {@code key=value} arguments. */
    public List<String> deployableArgs() {
      return LocalStack.asArgs(deployableSettings());
    }
  }

  private KafkaUsers() {}

  /**
   * Creates every user of {@code plan} with its ACLs (ACLs already present are left as they are);
   * returns the principals by user name.
   */
  public static Map<String, Principal> create(
      KafkaEndpoint kafka, Map<String, List<AclBinding>> plan) {
    Map<String, Principal> principals = new LinkedHashMap<>();
    List<UserScramCredentialAlteration> credentials = new ArrayList<>();
    List<AclBinding> acls = new ArrayList<>();
    for (Map.Entry<String, List<AclBinding>> e : plan.entrySet()) {
      String password = KafkaSasl.newPassword();
      principals.put(e.getKey(), new Principal(e.getKey(), password, kafka.bootstrapServers()));
      credentials.add(
          new UserScramCredentialUpsertion(
              e.getKey(), new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password));
      acls.addAll(e.getValue());
    }
    try (Admin admin = kafka.admin()) {
      admin.alterUserScramCredentials(credentials).all().get();
      if (!acls.isEmpty()) {
        admin.createAcls(acls).all().get();
      }
      // A new credential reaches the broker's authenticator through the metadata log, a moment
      // after the controller took it: log in as each user before anyone else does.
      for (Principal p : principals.values()) {
        Map<String, Object> c = new java.util.HashMap<>(p.clientConfig());
        c.put("default.api.timeout.ms", 5_000);
        c.put("request.timeout.ms", 5_000);
        Await.until(
            p.user() + " to log in",
            java.time.Duration.ofSeconds(30),
            () -> {
              try (Admin probe = Admin.create(c)) {
                probe.describeCluster().clusterId().get();
                return true;
              } catch (Exception e) {
                return false;
              }
            });
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot create Kafka principals " + plan.keySet() + ": " + e.getCause(), e.getCause());
    }
    return principals;
  }
}
