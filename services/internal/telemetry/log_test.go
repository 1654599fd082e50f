package telemetry

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// Durations are written as Go duration strings, readable in a log line,
// at the top level and inside groups.
func TestLogDurationsReadable(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "info", "order")
	if err != nil {
		t.Fatal(err)
	}
	log.WithGroup("g").Info("shutting down", "delay", 5*time.Second, "n", 3)
	var rec struct {
		Service string
		G       struct {
			Delay any
			N     any
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if rec.G.Delay != "5s" || rec.G.N != float64(3) || rec.Service != "order" {
		t.Errorf("record %s: want delay \"5s\", n 3, service order", buf.String())
	}
}
