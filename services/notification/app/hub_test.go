package app

import (
	"fmt"
	"testing"

	"github.com/bloody-sweet/platform/services/notification/domain"
)

// A subscriber that does not drain its buffer is dropped (C closed) on the
// first change that does not fit, not queued without bound.
func TestHubDropsSubscriberWhoseBufferIsFull(t *testing.T) {
	t.Parallel()
	h := NewHub(4)
	s, _, _ := h.SubscribeAll(3, nil)
	for i := range 4 {
		h.Publish(domain.Change{OrderID: fmt.Sprint("o-", i), Seq: 1})
	}
	got := 0
	for range s.C {
		got++
	}
	if got != 3 {
		t.Errorf("%d changes before the drop, want the 3 that fit", got)
	}
}

// Resume replays the window after the given change; a change that fell out
// of the window is reported as not found.
func TestHubResumeWindow(t *testing.T) {
	t.Parallel()
	h := NewHub(3)
	for i := range 5 { // the window keeps o-2, o-3, o-4
		h.Publish(domain.Change{OrderID: fmt.Sprint("o-", i), Seq: 1})
	}
	_, replay, found := h.SubscribeAll(8, &domain.Change{OrderID: "o-2", Seq: 1})
	if !found || len(replay) != 2 || replay[0].OrderID != "o-3" || replay[1].OrderID != "o-4" {
		t.Errorf("resume after o-2: %v %v, want o-3, o-4", replay, found)
	}
	if _, replay, found := h.SubscribeAll(8, &domain.Change{OrderID: "o-1", Seq: 1}); found || replay != nil {
		t.Errorf("resume after o-1 (out of the window): %v %v, want not found", replay, found)
	}
}
