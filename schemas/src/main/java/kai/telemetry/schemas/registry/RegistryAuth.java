package kai.telemetry.schemas.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * How the client proves who it is to the registry: nothing, HTTP basic (Confluent's {@code
 * USER_INFO}: {@code user:password}), or a static bearer token. Its string form never shows the
 * secret.
 */
public record RegistryAuth(String scheme, String secret) {
  public static final RegistryAuth NONE = new RegistryAuth("none", "");

  public RegistryAuth {
    if (!scheme.equals("none") && (secret == null || secret.isBlank())) {
      throw new IllegalArgumentException("registry " + scheme + " credentials are empty");
    }
  }

  /** HTTP basic from {@code user:password}. */
  public static RegistryAuth basic(String userInfo) {
    if (userInfo == null || !userInfo.contains(":")) {
      throw new IllegalArgumentException("registry basic auth user info must be user:password");
    }
    return new RegistryAuth("basic", userInfo);
  }

  public static RegistryAuth bearer(String token) {
    return new RegistryAuth("bearer", token);
  }

  /** The Authorization header's value, if any. */
  public Optional<String> header() {
    return switch (scheme) {
      case "basic" ->
          Optional.of(
              "Basic "
                  + Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)));
      case "bearer" -> Optional.of("Bearer " + secret);
      default -> Optional.empty();
    };
  }

  @Override
  public String toString() {
    return scheme.equals("basic")
        ? "basic (" + secret.substring(0, secret.indexOf(':')) + ")"
        : scheme;
  }
}
