package cliexit

import (
	"fmt"
	"testing"
)

func TestSilent(t *testing.T) {
	t.Parallel()
	if err := Silent(Failed); Code(err) != Failed || !IsSilent(err) || !IsSilent(fmt.Errorf("wrapped: %w", err)) {
		t.Errorf("Silent(Failed): code %d, silent %v", Code(err), IsSilent(err))
	}
	for _, err := range []error{nil, Failedf("denied"), BadInputf("bad"), fmt.Errorf("plain")} {
		if IsSilent(err) {
			t.Errorf("IsSilent(%v) = true; its message must be printed", err)
		}
	}
}
