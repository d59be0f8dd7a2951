package kai.telemetry.streams.fleet;

import kai.telemetry.events.GpuSample;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Meters each GPU's energy between consecutive samples (store {@link
 * TeamFleetMinuteJob#METER_STORE}, keyed by GPU UUID): the increase of DCGM's energy counter, or,
 * across a counter reset (driver reload) or without a counter, mean power x elapsed time. The
 * energy lands in the window of the later sample, so windows add up to the GPU's whole consumption
 * with none counted twice. A sample older than the GPU's previous one meters nothing.
 */
final class GpuMeterProcessor implements FixedKeyProcessor<String, GpuSample, FleetSample> {
  private FixedKeyProcessorContext<String, FleetSample> context;
  private KeyValueStore<String, GpuMeter> meters;

  @Override
  public void init(FixedKeyProcessorContext<String, FleetSample> context) {
    this.context = context;
    this.meters = context.getStateStore(TeamFleetMinuteJob.METER_STORE);
  }

  @Override
  public void process(FixedKeyRecord<String, GpuSample> record) {
    GpuSample s = record.value();
    if (s == null) {
      return;
    }
    GpuMeter prev = meters.get(s.getGpuUuid());
    long delta = 0;
    if (prev == null || s.getTsMs() > prev.getTsMs()) {
      if (prev != null) {
        Long now = s.getEnergyMj();
        if (now != null && prev.getEnergyMj() != null && now >= prev.getEnergyMj()) {
          delta = now - prev.getEnergyMj();
        } else {
          Double w = s.getPowerW() != null ? s.getPowerW() : prev.getPowerW();
          delta = w == null ? 0 : Math.round(w * (s.getTsMs() - prev.getTsMs())); // W x ms = mJ
        }
      }
      meters.put(s.getGpuUuid(), new GpuMeter(s.getTsMs(), s.getEnergyMj(), s.getPowerW()));
    }
    Integer xid = s.getXidLast();
    context.forward(
        record.withValue(
            FleetSample.newBuilder()
                .setTeam(s.getTeam())
                .setCluster(s.getCluster())
                .setTsMs(s.getTsMs())
                .setUtilizationPct(s.getUtilizationPct())
                .setPowerW(s.getPowerW())
                .setSmActive(s.getSmActive())
                .setTensorActive(s.getTensorActive())
                .setXid(xid != null && xid != 0)
                .setEnergyDeltaMj(delta)
                .build()));
  }
}
