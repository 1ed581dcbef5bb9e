# The dbrepo service: a multi-stage build into a small image that runs as a
# non-root user and serves gRPC on 0.0.0.0:50051.
#
# Build:  docker build -t dbrepo .
# Run:    docker run -e DATABASE_URL=postgres://dbrepo_service:...@db/dbrepo -p 50051:50051 dbrepo
# The schema must be migrated first (see Migrations.Dockerfile).

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Queries are checked against the committed .sqlx/ metadata: no database at build time.
ENV SQLX_OFFLINE=true
# Without the default dev-db feature: no throwaway-database launcher in production.
RUN cargo build --release --locked --no-default-features --bin dbrepo --bin dbrepo-healthcheck

FROM debian:bookworm-slim
# No CA bundle: TLS to PostgreSQL is verified against the Mozilla roots
# built into the binary, or the file a URL's sslrootcert names.
RUN useradd --system --uid 10001 --no-create-home dbrepo
COPY --from=build /src/target/release/dbrepo /src/target/release/dbrepo-healthcheck /usr/local/bin/
USER 10001
ENV DBREPO_LISTEN=0.0.0.0:50051 \
    DBREPO_METRICS_LISTEN=0.0.0.0:9464 \
    DBREPO_LOG_FORMAT=json
EXPOSE 50051 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/dbrepo-healthcheck", "http://127.0.0.1:50051"]
ENTRYPOINT ["/usr/local/bin/dbrepo"]
