package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnavailable marks an error that means the database could not be reached or is shutting
// down, not that the request was wrong: the server answers 503 with Retry-After, and clients
// retry.
var ErrUnavailable = errors.New("database unavailable")

// Unavailable returns err marked with ErrUnavailable when it is a connection problem, and err
// unchanged otherwise (nil stays nil).
func Unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || !isConnectionProblem(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

func isConnectionProblem(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exceptions; 57P01-57P03: admin shutdown, crash shutdown, cannot
		// connect now (starting up or in recovery); 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	// A connection cut while pgx reads a pipelined batch's answers ends in an unexpected EOF
	// that is no net.Error.
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) ||
		(errors.Is(err, context.DeadlineExceeded) && pgconn.Timeout(err)) || errors.Is(err, io.ErrUnexpectedEOF)
}
