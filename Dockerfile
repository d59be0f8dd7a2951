# One image for the project's services; docker-compose.yml picks the command (bin/kai <command>).
FROM eclipse-temurin:21-jdk
WORKDIR /opt/kai
COPY . .
RUN ./mvnw -B -q -ntp -Dquick -DskipTests -Dspotless.check.skip=true package \
    && touch pipeline/target/runtime-classpath.txt \
    && mkdir -p /var/lib/kai/streams
ENTRYPOINT ["bin/kai"]
