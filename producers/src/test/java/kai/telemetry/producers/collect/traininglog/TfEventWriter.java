package kai.telemetry.producers.collect.traininglog;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes TensorBoard event files for tests, field by field after TensorFlow's event.proto,
 * summary.proto and tensor.proto: what PyTorch's SummaryWriter ({@code simple_value}) and TF2's
 * {@code tf.summary.scalar} (a zero-dimensional tensor) produce, framed as TFRecords.
 */
final class TfEventWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  void fileVersion(double wall) {
    record(event(wall, 0, null, "brain.Event:2"));
  }

  void simple(double wall, long step, String tag, float v) {
    record(event(wall, step, summary(value(tag, b -> b.writeFloat(2, v))), null));
  }

  void tensorDouble(double wall, long step, String tag, double v) {
    ByteString tensor =
        message(
            t -> {
              t.writeEnum(1, 2); // DT_DOUBLE
              t.writeBytes(2, ByteString.EMPTY); // shape: no dims
              ByteString packed = message(p -> p.writeDoubleNoTag(v));
              t.writeBytes(6, packed);
            });
    record(event(wall, step, summary(value(tag, b -> b.writeBytes(8, tensor))), null));
  }

  void tensorFloatContent(double wall, long step, String tag, float v) {
    byte[] content = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
    ByteString tensor =
        message(
            t -> {
              t.writeEnum(1, 1); // DT_FLOAT
              t.writeBytes(4, ByteString.copyFrom(content));
            });
    record(event(wall, step, summary(value(tag, b -> b.writeBytes(8, tensor))), null));
  }

  /** A [2, 3] float tensor (a histogram's shape): not a scalar. */
  void histogramLikeTensor(double wall, long step, String tag) {
    ByteString shape =
        message(
            s -> {
              s.writeBytes(2, message(d -> d.writeInt64(1, 2)));
              s.writeBytes(2, message(d -> d.writeInt64(1, 3)));
            });
    ByteString tensor =
        message(
            t -> {
              t.writeEnum(1, 1);
              t.writeBytes(2, shape);
              t.writeBytes(
                  5,
                  message(
                      p -> {
                        for (int i = 0; i < 6; i++) {
                          p.writeFloatNoTag(i);
                        }
                      }));
            });
    record(event(wall, step, summary(value(tag, b -> b.writeBytes(8, tensor))), null));
  }

  byte[] bytes() {
    return out.toByteArray();
  }

  private interface Body {
    void write(CodedOutputStream o) throws IOException;
  }

  private static ByteString message(Body body) {
    try {
      ByteString.Output buf = ByteString.newOutput();
      CodedOutputStream o = CodedOutputStream.newInstance(buf);
      body.write(o);
      o.flush();
      return buf.toByteString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ByteString value(String tag, Body v) {
    return message(
        b -> {
          b.writeString(1, tag);
          v.write(b);
        });
  }

  private static ByteString summary(ByteString value) {
    return message(s -> s.writeBytes(1, value));
  }

  private static byte[] event(double wall, long step, ByteString summary, String version) {
    return message(
            e -> {
              e.writeDouble(1, wall);
              e.writeInt64(2, step);
              if (version != null) {
                e.writeString(3, version);
              }
              if (summary != null) {
                e.writeBytes(5, summary);
              }
            })
        .toByteArray();
  }

  private void record(byte[] data) {
    byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
    out.writeBytes(len);
    out.writeBytes(le(TensorBoardEvents.masked(len, 0, 8)));
    out.writeBytes(data);
    out.writeBytes(le(TensorBoardEvents.masked(data, 0, data.length)));
  }

  private static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }
}
