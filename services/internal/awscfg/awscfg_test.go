package awscfg

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestLazyLoadsOnceForAllCallers(t *testing.T) {
	t.Parallel()
	var loads atomic.Int32
	l := NewLazy(func(context.Context) (aws.Config, error) {
		loads.Add(1)
		return aws.Config{Region: "eu-west-1"}, nil
	})
	if loads.Load() != 0 {
		t.Fatal("NewLazy loaded the configuration before anyone asked")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			cfg, err := l.Get(context.Background())
			if err != nil || cfg.Region != "eu-west-1" {
				t.Errorf("Get = %v, %v", cfg.Region, err)
			}
		})
	}
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("loaded %d times, want 1", n)
	}
}

func TestLazyErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		load LoadFunc
		want string
	}{
		"no region": {func(context.Context) (aws.Config, error) { return aws.Config{}, nil }, "set AWS_REGION"},
		"load fails": {func(context.Context) (aws.Config, error) { return aws.Config{}, errors.New("no web identity token") },
			"load AWS configuration: no web identity token"},
	} {
		l := NewLazy(tc.load)
		for i := range 2 { // the error is remembered, not retried
			if _, err := l.Get(context.Background()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: Get #%d = %v, want an error with %q", name, i, err, tc.want)
			}
		}
	}
}
