# syntax=docker/dockerfile:1
# Multi-stage build: a static footnote binary (CGO_ENABLED=0) on an empty
# runtime image (scratch: the binary, CA certificates, nothing else), run as
# a non-root user. Articles are mounted at /articles.
#
#   docker build -t footnote .
#   docker run -e DISCORD_TOKEN=... -v "$PWD/articles:/articles:ro" \
#     -v footnote-data:/data -p 9090:9090 footnote
#
# scripts/image-check.sh builds and runs this image's runtime stage with
# buildah where the base image cannot be pulled (CI has no registry access).
FROM docker.io/library/golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
# Modules and compiled packages are kept in BuildKit caches between builds:
# a cold build compiles the pure-Go SQLite (minutes on 2 cores), a rebuild
# after a source change only footnote's own packages.
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/footnote . \
 && /out/footnote version \
 && mkdir -p /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/footnote /usr/local/bin/footnote
# footnote's own files (the SQLite question log, ingested articles): owned
# by the user footnote runs as, so a fresh volume mounted here (which
# Docker fills from the image, ownership included) is writable.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME ["/articles", "/data"]
ENV FOOTNOTE_CORPUS=/articles \
    FOOTNOTE_HTTP_ADDR=:9090 \
    FOOTNOTE_DATA_DIR=/data \
    FOOTNOTE_LOG_FORMAT=json
EXPOSE 9090
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/footnote", "health", "--url", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/usr/local/bin/footnote"]
CMD ["serve"]
