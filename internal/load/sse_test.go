package load

import (
	"bufio"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSSE(t *testing.T) {
	stream := ": keep-alive comment\n\n" +
		"id: 1\nevent: PLACED\ndata: {\"order_id\":\"a\",\"status\":\"PLACED\",\"time\":\"2026-11-25T08:00:00Z\"}\n\n" +
		"id: 6\nevent: DELIVERED\ndata: {\"order_id\":\"a\",\n" + "data: \"status\":\"DELIVERED\",\"time\":\"2026-11-25T08:00:05Z\"}\n\n" +
		"event: CANCELLED\ndata:{\"order_id\":\"b\",\"status\":\"CANCELLED\"}\n\n" +
		"data: not json\n\n" +
		"data: {\"order_id\":\"c\",\"status\":\"DELIVERED\"}\n" // no blank line: stream cut, event incomplete
	out := make(chan Completion, 10)
	if err := parseSSE(context.Background(), bufio.NewScanner(strings.NewReader(stream)), out); err != nil {
		t.Fatal(err)
	}
	close(out)
	type got struct {
		Key       string
		Delivered bool
	}
	var gots []got
	for c := range out {
		if c.At.IsZero() {
			t.Errorf("completion %s has no receive time", c.Key)
		}
		gots = append(gots, got{c.Key, c.Delivered})
	}
	want := []got{{"a", true}, {"b", false}}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("completions (-want +got):\n%s", diff)
	}
}
