# eventlens: one static binary on a distroless, non-root base image.
#   docker build -t eventlens .
#   docker run --rm -v eventlens-data:/data eventlens keys create --db /data/eventlens.db --role admin --name admin
#   docker run -p 8080:8080 -p 4317:4317 -v eventlens-data:/data eventlens
# A container listens beyond loopback, so eventlens refuses to start until an API key exists.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/eventlens/eventlens/buildinfo.version=${VERSION} -X github.com/eventlens/eventlens/buildinfo.commit=${COMMIT}" \
      -o /out/eventlens ./cmd/eventlens \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/eventlens /usr/local/bin/eventlens
# The volume must belong to the image's non-root user (uid 65532) so SQLite can write there.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
# 8080: console, schema registry API, OTLP/HTTP. 4317: OTLP/gRPC.
EXPOSE 8080 4317
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/eventlens"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--otlp-grpc-addr", "0.0.0.0:4317", "--db", "/data/eventlens.db"]
