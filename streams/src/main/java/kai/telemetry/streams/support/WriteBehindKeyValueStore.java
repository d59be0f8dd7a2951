package kai.telemetry.streams.support;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A key-value store that holds the values written since the last commit as live objects and writes
 * each of them to the store beneath (serialized, changelogged) once, when the task commits. For an
 * entry updated by every record, such as a GPU's open minutes, that is one serialization per commit
 * interval instead of one per record.
 *
 * <p>Contract: a value returned by {@link #get} may be the very object last {@link #put}; a caller
 * that changes it must {@link #put} it again for the change to be written.
 *
 * <p>Why this is exactly-once: Kafka Streams flushes every store's cache ({@link
 * CachedStateStore#flushCache}) before it commits a task's transaction (the input offsets, the
 * changelog and the output together), the same hook its own record cache uses; so each commit's
 * changelog holds every change the committed offsets cover. When a task is closed without a commit
 * ({@link #clearCache}, or {@link #close}), the unwritten changes are dropped with the uncommitted
 * input they came from, which is read again.
 */
public final class WriteBehindKeyValueStore<K, V>
    implements KeyValueStore<K, V>, CachedStateStore<K, V> {
  private final KeyValueStore<K, V> inner;

  /** Changes not yet written below; a null value is a delete. */
  private final Map<K, V> pending = new HashMap<>();

  private WriteBehindKeyValueStore(KeyValueStore<K, V> inner) {
    this.inner = inner;
  }

  /**
   * Wraps {@code inner}'s stores; {@code inner} should have caching disabled, as this is the cache.
   */
  public static <K, V> StoreBuilder<KeyValueStore<K, V>> builder(
      StoreBuilder<KeyValueStore<K, V>> inner) {
    StreamsVersion.requireTested(StreamsVersion.running());
    return new Builder<>(inner);
  }

  @Override
  public V get(K key) {
    if (pending.containsKey(key)) {
      return pending.get(key);
    }
    return inner.get(key);
  }

  @Override
  public void put(K key, V value) {
    pending.put(key, value);
  }

  @Override
  public V putIfAbsent(K key, V value) {
    V old = get(key);
    if (old == null) {
      put(key, value);
    }
    return old;
  }

  @Override
  public void putAll(List<KeyValue<K, V>> entries) {
    for (KeyValue<K, V> e : entries) {
      put(e.key, e.value);
    }
  }

  @Override
  public V delete(K key) {
    V old = get(key);
    pending.put(key, null);
    return old;
  }

  /** Range reads see the store beneath, so the pending changes are written first. */
  @Override
  public KeyValueIterator<K, V> range(K from, K to) {
    writePending();
    return inner.range(from, to);
  }

  @Override
  public KeyValueIterator<K, V> reverseRange(K from, K to) {
    writePending();
    return inner.reverseRange(from, to);
  }

  @Override
  public KeyValueIterator<K, V> all() {
    writePending();
    return inner.all();
  }

  @Override
  public KeyValueIterator<K, V> reverseAll() {
    writePending();
    return inner.reverseAll();
  }

  @Override
  public <PS extends Serializer<P>, P> KeyValueIterator<K, V> prefixScan(P prefix, PS serializer) {
    writePending();
    return inner.prefixScan(prefix, serializer);
  }

  @Override
  public long approximateNumEntries() {
    return inner.approximateNumEntries() + pending.size();
  }

  /** Called by Kafka Streams before each commit. */
  @Override
  public void flushCache() {
    writePending();
    if (inner instanceof CachedStateStore<?, ?> cached) {
      cached.flushCache();
    }
  }

  /** Called by Kafka Streams when a task is closed without committing. */
  @Override
  public void clearCache() {
    pending.clear();
    if (inner instanceof CachedStateStore<?, ?> cached) {
      cached.clearCache();
    }
  }

  @Override
  public boolean setFlushListener(CacheFlushListener<K, V> listener, boolean sendOldValues) {
    return false; // no listener: values are not forwarded on write
  }

  private void writePending() {
    for (Map.Entry<K, V> e : pending.entrySet()) {
      if (e.getValue() == null) {
        inner.delete(e.getKey());
      } else {
        inner.put(e.getKey(), e.getValue());
      }
    }
    pending.clear();
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    pending.clear();
    inner.init(context, root);
  }

  /**
   * Called after the task's commit, when {@link #flushCache} has already written the pending
   * changes: writing any here would log them after the offsets that cover them were committed.
   */
  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    inner.commit(changelogOffsets);
  }

  @Override
  public Long committedOffset(TopicPartition partition) {
    return inner.committedOffset(partition);
  }

  @Override
  public boolean managesOffsets() {
    return inner.managesOffsets();
  }

  @Override
  public void close() {
    pending.clear();
    inner.close();
  }

  @Override
  public boolean persistent() {
    return inner.persistent();
  }

  @Override
  public boolean isOpen() {
    return inner.isOpen();
  }

  @Override
  public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
    return inner.query(query, bound, config);
  }

  @Override
  public Position getPosition() {
    return inner.getPosition();
  }

  @Override
  public long approximateNumUncommittedBytes() {
    return inner.approximateNumUncommittedBytes();
  }

  private record Builder<K, V>(StoreBuilder<KeyValueStore<K, V>> inner)
      implements StoreBuilder<KeyValueStore<K, V>> {
    @Override
    public StoreBuilder<KeyValueStore<K, V>> withCachingEnabled() {
      throw new UnsupportedOperationException("a write-behind store is its own cache");
    }

    @Override
    public StoreBuilder<KeyValueStore<K, V>> withCachingDisabled() {
      inner.withCachingDisabled();
      return this;
    }

    @Override
    public StoreBuilder<KeyValueStore<K, V>> withLoggingEnabled(Map<String, String> config) {
      inner.withLoggingEnabled(config);
      return this;
    }

    @Override
    public StoreBuilder<KeyValueStore<K, V>> withLoggingDisabled() {
      inner.withLoggingDisabled();
      return this;
    }

    @Override
    public KeyValueStore<K, V> build() {
      return new WriteBehindKeyValueStore<>(inner.build());
    }

    @Override
    public Map<String, String> logConfig() {
      return inner.logConfig();
    }

    @Override
    public boolean loggingEnabled() {
      return inner.loggingEnabled();
    }

    @Override
    public String name() {
      return inner.name();
    }
  }
}
