package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// NewLogger returns a JSON logger at level that adds trace_id and span_id
// to every record whose context carries a span, and a service attribute.
// Durations are written as Go duration strings ("5s", "1.5ms"), not
// slog's nanosecond integers.
//
// Levels (one policy for every service): error, the service cannot do its
// job and a person must look (a consumer stopped, a 5xx with its cause);
// warn, a degraded but self-healing state or a risky setting (a dependency
// retried, verification off); info, lifecycle and rare business facts
// (started, shutting down, purged, refused requests); debug, per-message
// detail, off in clusters. Never a secret, token or password at any level:
// URLs go through config.Redact, tokens are never logged.
func NewLogger(w io.Writer, level, service string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("telemetry: log level %q: %w", level, err)
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv, ReplaceAttr: readableDuration})
	return slog.New(traceHandler{h}).With("service", service), nil
}

type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(as)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}

// readableDuration writes a time.Duration attribute as its String form.
func readableDuration(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}
