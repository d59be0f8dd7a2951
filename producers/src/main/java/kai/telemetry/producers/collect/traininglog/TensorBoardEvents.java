package kai.telemetry.producers.collect.traininglog;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * TensorBoard event files ({@code events.out.tfevents.*}), as PyTorch's SummaryWriter, TensorFlow,
 * Megatron and the Hugging Face Trainer write them: TFRecords (length, masked CRC-32C of the
 * length, an {@code Event} protocol buffer, masked CRC-32C of the data), each event with its wall
 * time, step and summary values. Scalars are read from {@code simple_value} (PyTorch, TF1) and from
 * zero-dimensional tensors (TF2's {@code tf.summary.scalar}: float, double, half, bfloat16, int32,
 * int64); images, histograms and other tensors are not scalars and are passed over.
 *
 * <p>The values of consecutive events with the same step form one step when one of them is the
 * training loss ({@code log.tensorboard.loss.tag}, else the first of {@code train/loss}, {@code
 * loss}, {@code lm loss}, {@code train_loss}, {@code Loss/train}, {@code training_loss} met); the
 * learning rate and gradient norm are taken from their usual tags; every other tag is a named
 * scalar. A tag plotted against something else than the step (a name with " vs ", as Megatron's
 * {@code lm loss vs samples}) keeps its x value as the step (the name says so) and does not break
 * the grouping of the iteration's tags around it. A directory is read with its subdirectories
 * (Keras writes {@code train/} and {@code validation/}); tags of a file in a subdirectory are
 * prefixed with its path ({@code validation/epoch_loss}). Give the directory of one run. A record
 * whose checksum fails or that the file ends inside stops the file with a problem (nothing after a
 * broken record can be trusted to be framed right).
 */
final class TensorBoardEvents {
  private static final List<String> LOSS_TAGS =
      List.of(
          "train/loss",
          "loss",
          "lm loss",
          "lm-loss-training/lm loss",
          "train_loss",
          "Loss/train",
          "training_loss");
  private static final List<String> LR_TAGS =
      List.of(
          "train/learning_rate",
          "learning-rate",
          "learning-rate/learning-rate",
          "learning_rate",
          "lr",
          "train/lr");
  private static final List<String> GRAD_TAGS =
      List.of(
          "train/grad_norm", "grad-norm", "grad-norm/grad-norm", "grad_norm", "train/grad-norm");
  private static final long MAX_RECORD_BYTES = 64L << 20;

  private final StepLineParser.Context ctx;
  private String lossTag;
  private String lrTag;
  private String gradTag;
  private long groupStep = Long.MIN_VALUE;
  private double groupWall;
  private final Map<String, Double> group = new LinkedHashMap<>();
  private String groupSource;
  private String tagPrefix = "";
  long events;

  TensorBoardEvents(StepLineParser.Context ctx, String lossTag) {
    this.ctx = ctx;
    this.lossTag = lossTag == null || lossTag.isBlank() ? null : lossTag;
  }

  /** Reads one event file to its end (or its first broken record). */
  void read(InputStream in, String name, TrainingRecords out) throws IOException {
    read(in, name, "", out);
  }

  /**
   * Reads one event file; {@code tagPrefix} (a subdirectory's path and "/", or "") goes before each
   * of its tags.
   */
  void read(InputStream in, String name, String tagPrefix, TrainingRecords out) throws IOException {
    this.tagPrefix = tagPrefix;
    DataInputStream data = new DataInputStream(in);
    long record = 0;
    while (true) {
      byte[] header = new byte[12];
      int got = data.readNBytes(header, 0, 12);
      if (got == 0) {
        break;
      }
      record++;
      String where = name + " record " + record;
      if (got < 12) {
        out.problem(where, "the file ends inside a record header (still being written?)", "");
        break;
      }
      ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
      long length = h.getLong(0);
      int lengthCrc = h.getInt(8);
      if (masked(header, 0, 8) != lengthCrc) {
        out.problem(where, "record length checksum does not match: not a TFRecord, or corrupt", "");
        break;
      }
      if (length < 0 || length > MAX_RECORD_BYTES) {
        out.problem(where, "record of " + length + " bytes is beyond the 64 MiB cap", "");
        break;
      }
      byte[] body = new byte[(int) length];
      byte[] crc = new byte[4];
      try {
        data.readFully(body);
        data.readFully(crc);
      } catch (EOFException e) {
        out.problem(where, "the file ends inside a record (still being written?)", "");
        break;
      }
      if (masked(body, 0, body.length)
          != ByteBuffer.wrap(crc).order(ByteOrder.LITTLE_ENDIAN).getInt()) {
        out.problem(where, "record data checksum does not match: corrupt", "");
        break;
      }
      try {
        event(CodedInputStream.newInstance(body), "tensorboard:" + where, out);
      } catch (IOException | RuntimeException e) {
        out.problem(where, "not an Event: " + e.getMessage(), "");
      }
    }
    flush(out);
  }

  private void event(CodedInputStream in, String source, TrainingRecords out) throws IOException {
    double wall = 0;
    long step = 0;
    List<Map.Entry<String, Double>> values = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> wall = in.readDouble();
        case 2 -> step = in.readInt64();
        case 5 -> summary(in.readBytes().newCodedInput(), values);
        default -> in.skipField(tag);
      }
    }
    events++;
    if (values.isEmpty()) {
      return; // file version, graph, session log, ...
    }
    List<Map.Entry<String, Double>> sameStep = new ArrayList<>();
    for (Map.Entry<String, Double> v : values) {
      String name = tagPrefix + v.getKey();
      if (name.contains(" vs ")) {
        // Plotted against consumed samples or tokens (Megatron writes each such copy right after
        // the tag against the iteration): its step is that x value, a scalar of its own, and it
        // must not split the iteration's group.
        long ts = ctx.time().stamp(wall > 0 ? Math.round(wall * 1000) : null, null);
        out.scalar(ctx, step, ts, name, v.getValue(), source);
      } else {
        sameStep.add(Map.entry(name, v.getValue()));
      }
    }
    if (sameStep.isEmpty()) {
      return;
    }
    if (step != groupStep) {
      flush(out);
      groupStep = step;
    }
    groupWall = Math.max(groupWall, wall);
    groupSource = source;
    for (Map.Entry<String, Double> v : sameStep) {
      group.put(v.getKey(), v.getValue());
    }
  }

  private static void summary(CodedInputStream in, List<Map.Entry<String, Double>> values)
      throws IOException {
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (WireFormat.getTagFieldNumber(tag) == 1) {
        value(in.readBytes().newCodedInput(), values);
      } else {
        in.skipField(tag);
      }
    }
  }

  private static void value(CodedInputStream in, List<Map.Entry<String, Double>> values)
      throws IOException {
    String name = null;
    Double v = null;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> name = in.readStringRequireUtf8();
        case 2 -> v = (double) in.readFloat();
        case 8 -> v = tensorScalar(in.readBytes().newCodedInput());
        default -> in.skipField(tag);
      }
    }
    if (name != null && v != null) {
      values.add(Map.entry(name, v));
    }
  }

  /** The value of a zero-dimensional numeric tensor, or null for anything else. */
  private static Double tensorScalar(CodedInputStream in) throws IOException {
    int dtype = 0;
    boolean scalarShape = true;
    byte[] content = null;
    List<Double> vals = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      int field = WireFormat.getTagFieldNumber(tag);
      boolean packed = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
      switch (field) {
        case 1 -> dtype = in.readEnum();
        case 2 -> scalarShape = hasNoDims(in.readBytes().newCodedInput());
        case 4 -> content = in.readByteArray();
        case 5 -> repeated(in, packed, () -> (double) in.readFloat(), vals);
        case 6 -> repeated(in, packed, in::readDouble, vals);
        case 7, 13 -> {
          int f = field;
          int d = dtype;
          repeated(in, packed, () -> intValue(in.readInt32(), f == 13 ? d : 3), vals);
        }
        case 10 -> repeated(in, packed, () -> (double) in.readInt64(), vals);
        default -> in.skipField(tag);
      }
    }
    if (!scalarShape) {
      return null;
    }
    if (content != null) {
      ByteBuffer b = ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN);
      return switch (dtype) {
        case 1 -> content.length == 4 ? (double) b.getFloat() : null;
        case 2 -> content.length == 8 ? b.getDouble() : null;
        case 3 -> content.length == 4 ? (double) b.getInt() : null;
        case 9 -> content.length == 8 ? (double) b.getLong() : null;
        case 14, 19 -> content.length == 2 ? intValue(b.getShort() & 0xffff, dtype) : null;
        default -> null;
      };
    }
    return vals.size() == 1
            && (dtype == 1 || dtype == 2 || dtype == 3 || dtype == 9 || dtype == 14 || dtype == 19)
        ? vals.get(0)
        : null;
  }

  /** An int32-carried value: itself, or the bits of a half (19) or bfloat16 (14). */
  private static double intValue(int bits, int dtype) {
    return switch (dtype) {
      case 19 -> Float.float16ToFloat((short) bits);
      case 14 -> Float.intBitsToFloat((bits & 0xffff) << 16);
      default -> bits;
    };
  }

  private static boolean hasNoDims(CodedInputStream in) throws IOException {
    boolean none = true;
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (WireFormat.getTagFieldNumber(tag) == 2) {
        // a dimension of size 1 still holds one value
        CodedInputStream dim = in.readBytes().newCodedInput();
        int t;
        while ((t = dim.readTag()) != 0) {
          if (WireFormat.getTagFieldNumber(t) == 1) {
            none &= dim.readInt64() == 1;
          } else {
            dim.skipField(t);
          }
        }
      } else {
        in.skipField(tag);
      }
    }
    return none;
  }

  private interface Reader {
    double read() throws IOException;
  }

  private static void repeated(CodedInputStream in, boolean packed, Reader r, List<Double> out)
      throws IOException {
    if (!packed) {
      out.add(r.read());
      return;
    }
    int limit = in.pushLimit(in.readRawVarint32());
    while (in.getBytesUntilLimit() > 0) {
      out.add(r.read());
    }
    in.popLimit(limit);
  }

  /** Emits the buffered step: a training step if it has the loss, scalars for the rest. */
  private void flush(TrainingRecords out) {
    if (group.isEmpty()) {
      return;
    }
    if (lossTag == null) {
      lossTag = LOSS_TAGS.stream().filter(group::containsKey).findFirst().orElse(null);
    }
    if (lrTag == null) {
      lrTag = LR_TAGS.stream().filter(group::containsKey).findFirst().orElse(null);
    }
    if (gradTag == null) {
      gradTag = GRAD_TAGS.stream().filter(group::containsKey).findFirst().orElse(null);
    }
    long ts = ctx.time().stamp(groupWall > 0 ? Math.round(groupWall * 1000) : null, null);
    if (lossTag != null && group.containsKey(lossTag)) {
      out.step(
          TrainingRecords.stepOf(ctx, groupStep, ts)
              .setLoss(group.remove(lossTag))
              .setLearningRate(lrTag == null ? null : group.remove(lrTag))
              .setGradNorm(gradTag == null ? null : group.remove(gradTag))
              .setSource(groupSource)
              .build());
    }
    for (Map.Entry<String, Double> e : group.entrySet()) {
      out.scalar(ctx, groupStep, ts, e.getKey(), e.getValue(), groupSource);
    }
    group.clear();
    groupWall = 0;
  }

  /** TFRecord's masked CRC-32C. */
  static int masked(byte[] b, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(b, off, len);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + 0xa282ead8;
  }
}
