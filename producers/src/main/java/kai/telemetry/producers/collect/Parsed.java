package kai.telemetry.producers.collect;

import java.util.ArrayList;
import java.util.List;

/** What a parser made of its input: the records it could read and the problems it found. */
public final class Parsed<T> {
  private final List<T> records = new ArrayList<>();
  private final List<Problem> problems = new ArrayList<>();

  public void add(T record) {
    records.add(record);
  }

  public void problem(String source, String reason, String raw) {
    problems.add(new Problem(source, reason, raw));
  }

  public void addAll(Parsed<T> other) {
    records.addAll(other.records);
    problems.addAll(other.problems);
  }

  public List<T> records() {
    return records;
  }

  public List<Problem> problems() {
    return problems;
  }
}
