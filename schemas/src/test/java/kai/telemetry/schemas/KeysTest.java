package kai.telemetry.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeysTest {
  @Test
  void plainIdsReadAsBefore() {
    assertThat(Keys.of("upstage", "run-7")).isEqualTo("upstage/run-7");
    assertThat(Keys.parts("upstage/run-7", 2)).containsExactly("upstage", "run-7");
  }

  @Test
  void idsContainingTheSeparatorOrTheEscapeCannotBeSplitWrongly() {
    // Without escaping, team "a/b" with run "c" and team "a" with run "b/c" would be one key.
    String one = Keys.of("a/b", "c");
    String other = Keys.of("a", "b/c");
    assertThat(one).isNotEqualTo(other);
    assertThat(Keys.parts(one, 2)).containsExactly("a/b", "c");
    assertThat(Keys.parts(other, 2)).containsExactly("a", "b/c");
    String escapes = Keys.of("x\\", "\\/y", "");
    assertThat(Keys.parts(escapes, 3)).containsExactly("x\\", "\\/y", "");
  }

  @Test
  void aKeyWithTheWrongNumberOfPartsIsRefused() {
    assertThatThrownBy(() -> Keys.parts("a/b/c", 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 parts, expected 2");
  }
}
