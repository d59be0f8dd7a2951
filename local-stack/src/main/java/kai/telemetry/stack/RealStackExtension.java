package kai.telemetry.stack;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands integration tests the running real stack. The stack starts on first use and is shared by
 * every test class of the suite (one JVM), then stopped when the suite ends; tests isolate
 * themselves with their own topic prefix and database ({@link TestNamespace}).
 *
 * <pre>{@code
 * @ExtendWith(RealStackExtension.class)
 * class SomethingIT {
 *   @Test void works(LocalStack stack) { ... }
 * }
 * }</pre>
 */
public final class RealStackExtension implements ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(RealStackExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LocalStack.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return stack(context);
  }

  /** The suite's stack, started on first call. */
  public static LocalStack stack(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent("stack", k -> new StackResource(), StackResource.class)
        .stack;
  }

  /** Closed by JUnit when the root context (the whole suite) ends. */
  private static final class StackResource implements AutoCloseable {
    final LocalStack stack;

    StackResource() {
      String testDir = System.getProperty("kai.test.dir", "target/it");
      Path dir = Path.of(testDir, "stack-" + ProcessHandle.current().pid());
      // -Pcontainers: the production images through Testcontainers, where Docker runs.
      stack =
          "containers".equals(System.getProperty("kai.stack"))
              ? ContainerStack.start(StackHome.locate(), dir)
              : LocalStack.start(StackHome.locate(), dir, LocalStack.StackPorts.free());
    }

    @Override
    public void close() {
      stack.close();
    }
  }
}
