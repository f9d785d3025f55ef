package server

import (
	"context"
	"errors"
	"net"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/eventlens/eventlens/tracing"
)

// otlpGRPC is the OTLP/gRPC trace service, on its own port.
type otlpGRPC struct {
	ptraceotlp.UnimplementedGRPCServer
	s *Server
}

func (g *otlpGRPC) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	resp := ptraceotlp.NewExportResponse()
	decoded := tracing.FromTraces(req.Traces(), g.s.otlp.limits)
	if err := g.s.svc.Ingest.Ingest(ctx, decoded.Spans); err != nil {
		e := otlpIngestError(err)
		st := status.New(e.code, e.message)
		if e.retryAfter {
			// RESOURCE_EXHAUSTED is retryable only with RetryInfo, says the OTLP spec.
			if withInfo, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(g.s.otlp.retryAfter)}); derr == nil {
				st = withInfo
			}
		}
		if e.status >= 500 && !errors.Is(err, tracing.ErrClosed) {
			g.s.log.ErrorContext(ctx, "OTLP/gRPC ingest failed", "error", err)
		}
		return resp, st.Err()
	}
	if decoded.Rejected > 0 {
		resp.PartialSuccess().SetRejectedSpans(int64(decoded.Rejected))
		resp.PartialSuccess().SetErrorMessage(decoded.RejectionMessage())
	}
	return resp, nil
}

func newOTLPGRPCServer(s *Server) *grpc.Server {
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(int(s.otlp.maxBody)))
	ptraceotlp.RegisterGRPCServer(gs, &otlpGRPC{s: s})
	return gs
}

// ServeOTLPGRPC answers OTLP/gRPC on ln until Shutdown.
func (s *Server) ServeOTLPGRPC(ln net.Listener) error {
	err := s.grpc.Serve(ln)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// stopGRPC lets in-flight exports finish until ctx ends, then cuts the rest.
func (s *Server) stopGRPC(ctx context.Context) {
	stopped := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.grpc.Stop()
		<-stopped
	}
}
