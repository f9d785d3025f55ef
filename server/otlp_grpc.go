package server

import (
	"context"
	"errors"
	"net"
	"strings"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/eventlens/eventlens/apikeys"
)

// otlpTracesGRPC and otlpMetricsGRPC are the OTLP/gRPC services, on their own port; they
// ingest as OTLP/HTTP does.
type otlpTracesGRPC struct {
	ptraceotlp.UnimplementedGRPCServer
	s *Server
}

func (g *otlpTracesGRPC) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	resp, oerr := g.s.exportTraces(ctx, "grpc", req.Traces())
	return resp, g.s.grpcError(oerr)
}

type otlpMetricsGRPC struct {
	pmetricotlp.UnimplementedGRPCServer
	s *Server
}

func (g *otlpMetricsGRPC) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	resp, oerr := g.s.exportMetrics(ctx, req.Metrics())
	return resp, g.s.grpcError(oerr)
}

// grpcError is an OTLP answer as a gRPC status; retryable ones carry RetryInfo, without which
// RESOURCE_EXHAUSTED is not retried, says the OTLP spec.
func (s *Server) grpcError(e *otlpError) error {
	if e == nil {
		return nil
	}
	st := status.New(e.code, e.message)
	if e.retryAfter {
		if withInfo, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(s.otlp.retryAfter)}); err == nil {
			st = withInfo
		}
	}
	return &grpcRefusal{status: e.status, st: st}
}

// grpcRefusal is an OTLP refusal as gRPC sends it, keeping the HTTP status OTLP/HTTP would
// answer, so countGRPC names its reason as the HTTP side does: gRPC's code alone says
// INVALID_ARGUMENT both for an export over a decoding limit and for a malformed one.
type grpcRefusal struct {
	status int
	st     *status.Status
}

func (r *grpcRefusal) Error() string              { return r.st.Err().Error() }
func (r *grpcRefusal) GRPCStatus() *status.Status { return r.st }

func newOTLPGRPCServer(s *Server) *grpc.Server {
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(int(s.otlp.maxBody)), grpc.ChainUnaryInterceptor(s.countGRPC, s.authorizeGRPC(apikeys.RoleWrite)))
	ptraceotlp.RegisterGRPCServer(gs, &otlpTracesGRPC{s: s})
	pmetricotlp.RegisterGRPCServer(gs, &otlpMetricsGRPC{s: s})
	return gs
}

// countGRPC counts the calls answered with an error in eventlens_receiver_refused_requests_total,
// as the metrics middleware counts OTLP/HTTP's.
func (s *Server) countGRPC(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	if code := status.Code(err); code != codes.OK {
		signal := "metrics"
		if strings.Contains(info.FullMethod, "TraceService") {
			signal = "traces"
		}
		httpStatus := grpcStatus(code)
		if r := (*grpcRefusal)(nil); errors.As(err, &r) {
			httpStatus = r.status
		}
		s.metrics.receiver.refusedRequest("grpc", signal, httpStatus)
	}
	return resp, err
}

// authorizeGRPC is authorize for gRPC: once API keys exist (or single sign-on is on), every call needs the authorization
// metadata (what OTLP exporters send from their headers setting) with a key of at least role
// need, as "Bearer <secret>" or "Basic base64(id:secret)". Without keys the service is open, as
// the HTTP side is (the server then listens on loopback only). Each call then takes a token from
// the caller's write budget (--write-rate), as an HTTP write does.
func (s *Server) authorizeGRPC(need apikeys.Role) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		enforced, err := s.enforced(ctx)
		if err != nil {
			s.log.ErrorContext(ctx, "OTLP/gRPC authorization", "error", err)
			return nil, status.Error(codes.Unavailable, "API keys could not be read; retry later")
		}
		if !enforced {
			who := "addr:"
			if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
				host, _, _ := net.SplitHostPort(p.Addr.String())
				who += host
			}
			if err := s.limitGRPCWrite(ctx, who, true); err != nil {
				return nil, err
			}
			return handler(ctx, req)
		}
		md, _ := metadata.FromIncomingContext(ctx)
		values := md.Get("authorization")
		if len(values) != 1 {
			return nil, status.Error(codes.Unauthenticated, "this call needs an API key: send the metadata authorization: Bearer <secret> (an OTLP exporter's headers setting)")
		}
		id, secret, ok := parseAuthorization(values[0])
		if !ok {
			return nil, status.Error(codes.Unauthenticated, "the authorization metadata is neither Bearer <secret> nor Basic base64(id:secret)")
		}
		key, err := s.svc.Keys.Verify(ctx, id, secret)
		if errors.Is(err, apikeys.ErrUnknownKey) {
			return nil, status.Error(codes.Unauthenticated, "unknown or revoked API key")
		}
		if err != nil {
			s.log.ErrorContext(ctx, "OTLP/gRPC authorization", "error", err)
			return nil, status.Error(codes.Unavailable, "API keys could not be read; retry later")
		}
		if key.Role < need {
			return nil, status.Errorf(codes.PermissionDenied, "this API key's role (%s) does not allow OTLP exports: it needs %s", key.Role, need)
		}
		if err := s.limitGRPCWrite(ctx, "key:"+key.ID, false); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// limitGRPCWrite answers RESOURCE_EXHAUSTED with RetryInfo (which makes it retryable for OTLP
// exporters) when who has used up its write budget.
func (s *Server) limitGRPCWrite(ctx context.Context, who string, perAddress bool) error {
	if s.writes == nil {
		return nil
	}
	ok, wait := s.writes.allow(ctx, who, perAddress)
	if ok {
		return nil
	}
	st := status.New(codes.ResourceExhausted, "too many writes from this client: slow down and retry after the delay in RetryInfo")
	if withInfo, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)}); err == nil {
		st = withInfo
	}
	return st.Err()
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
