package kai.telemetry.producers.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramOfficeTest {
  @Test
  void aCsvSavedWithAByteOrderMarkAndBlankLinesReadsWithEditorLineNumbers(@TempDir Path dir)
      throws Exception {
    Path f = dir.resolve("e.csv");
    Files.writeString(f, "\uFEFFa,b\r\n1,2\r\n\r\n3,4\r\n");
    assertThat(ProgramOffice.csv(f, "a,b"))
        .containsExactly(new ProgramOffice.Line(2, "1,2"), new ProgramOffice.Line(4, "3,4"));
  }

  @Test
  void aWrongHeaderAnEmptyFileAndAnOversizedOneAreRefused(@TempDir Path dir) throws Exception {
    Path wrong = dir.resolve("wrong.csv");
    Files.writeString(wrong, "b,a\n1,2\n");
    assertThatThrownBy(() -> ProgramOffice.csv(wrong, "a,b"))
        .hasMessageContaining("the first line must be a,b");
    Path empty = dir.resolve("empty.csv");
    Files.writeString(empty, "a,b\n\n");
    assertThatThrownBy(() -> ProgramOffice.csv(empty, "a,b"))
        .hasMessageContaining("holds no line after its header");
    Path huge = dir.resolve("huge.csv");
    try (RandomAccessFile r = new RandomAccessFile(huge.toFile(), "rw")) {
      r.setLength(ProgramOffice.MAX_FILE_BYTES + 1); // sparse: nothing is written
    }
    assertThatThrownBy(() -> ProgramOffice.csv(huge, "a,b"))
        .hasMessageContaining("is larger than 16 MB");
    assertThatThrownBy(() -> ProgramFile.load(huge.toString()))
        .hasMessageContaining("is larger than 16 MB");
  }
}
