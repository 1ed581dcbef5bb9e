# The dbrepo migrations: applies migrations/*.sql (compiled into the binary)
# with an owner / DDL-capable login. Run it to completion before rolling out
# a service release that needs the new schema.
#
# Build:  docker build -f Migrations.Dockerfile -t dbrepo-migrations .
# Run:    docker run -e DATABASE_URL=postgres://owner:...@db/dbrepo dbrepo-migrations up
#         docker run -e DATABASE_URL=... dbrepo-migrations status

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p dbrepo-migrations --bin dbrepo-migrations

FROM debian:bookworm-slim
# No CA bundle: TLS to PostgreSQL is verified against the Mozilla roots
# built into the binary, or the file a URL's sslrootcert names.
RUN useradd --system --uid 10001 --no-create-home dbrepo
COPY --from=build /src/target/release/dbrepo-migrations /usr/local/bin/
USER 10001
ENTRYPOINT ["/usr/local/bin/dbrepo-migrations"]
CMD ["up"]
