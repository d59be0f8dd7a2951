# The deployables' image. Stage one builds the distribution from source; the final stage is a
# Java runtime with only the distribution, run as an unprivileged user. docker-compose.yml picks
# the command (one of the launcher's: fleet-kpi-job, clickhouse-sink, ...).
FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
COPY . .
# -Dmdep.skip: the local stack's registry download is a developer tool, not part of the image.
RUN ./mvnw -B -q -ntp -Dquick -DskipTests -Dspotless.check.skip=true -Dmdep.skip=true \
      -pl distribution -am package

FROM eclipse-temurin:21-jre
RUN groupadd --system --gid 10001 kai \
    && useradd --system --uid 10001 --gid kai --home-dir /var/lib/kai --no-create-home kai \
    && mkdir -p /var/lib/kai/streams \
    && chown -R kai:kai /var/lib/kai
COPY --from=build /src/distribution/target/kai-telemetry /opt/kai-telemetry
USER kai:kai
WORKDIR /var/lib/kai
ENV KAI_STATE_DIR=/var/lib/kai/streams
ENTRYPOINT ["/opt/kai-telemetry/bin/kai"]
CMD ["help"]
