package kafka

import (
	"github.com/segmentio/kafka-go"
)

// headerCarrier adapts kafka-go headers to the OpenTelemetry propagator.
type headerCarrier struct{ h *[]kafka.Header }

func (c headerCarrier) Get(key string) string {
	for _, h := range *c.h {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func (c headerCarrier) Set(key, value string) {
	for i, h := range *c.h {
		if h.Key == key {
			(*c.h)[i].Value = []byte(value)
			return
		}
	}
	*c.h = append(*c.h, kafka.Header{Key: key, Value: []byte(value)})
}

func (c headerCarrier) Keys() []string {
	out := make([]string, 0, len(*c.h))
	for _, h := range *c.h {
		out = append(out, h.Key)
	}
	return out
}

// Header returns the value of header key, or "".
func Header(m kafka.Message, key string) string { return headerCarrier{&m.Headers}.Get(key) }
