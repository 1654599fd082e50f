package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/internal/load/hdr"
	"github.com/bloody-sweet/platform/internal/load/scenario"
)

// Sender performs one arrival: place an order, or produce a message. It
// returns the key its completion will carry (the order id).
type Sender interface {
	Send(ctx context.Context, seq int) (key string, err error)
}

// Completion says an arrival reached a terminal state downstream.
type Completion struct {
	Key       string
	Delivered bool // false: terminal but not delivered (CANCELLED)
	At        time.Time
}

// Options tune a run.
type Options struct {
	Mode   string // "pipeline" or "raw", copied into the Result
	Target string
	// Progress receives one line per second; nil discards it.
	Progress io.Writer
	// Completions, when not nil, delivers end-to-end completions; the run
	// waits up to the scenario's delivery_timeout after the last send for
	// every acknowledged arrival to complete.
	Completions <-chan Completion
	// Placed, when not nil, learns the key of every acknowledged arrival
	// (the demo reads each placed order back from the order API).
	Placed func(key string)

	// scheduled, when not nil, is closed once every arrival has been fired
	// or dropped (before in-flight sends are awaited); tests wait on it.
	scheduled chan struct{}
}

// pending is an acknowledged arrival waiting for its completion.
type pending struct {
	stage int
	acked time.Time
}

// run holds the mutable state of one Run; every field below mu is guarded by it.
type run struct {
	sc    *scenario.Scenario
	opt   Options
	start time.Time

	mu       sync.Mutex
	stages   []stageAcc
	seconds  []secondAcc
	inFlight int
	waiting  map[string]pending    // acked, not yet completed
	early    map[string]Completion // completed before its ack was recorded
	kinds    map[string]int
	samples  map[string]string
	curStage int
}

type stageAcc struct {
	// seconds is how long a closed stage ran (an open one runs its duration).
	seconds              float64
	ok, errors, dropped  int
	shed                 int
	delivered, cancelled int
	request, e2e         *hdr.Histogram
}

type secondAcc struct {
	intended, ok, errors, shed, delivered, completed int
	request, e2e                                     *hdr.Histogram
}

// Run sends the scenario's arrivals through s and returns what it measured.
// It returns early (with what it has) when ctx is cancelled.
func Run(ctx context.Context, sc *scenario.Scenario, s Sender, opt Options) (*Result, error) {
	r := &run{
		sc: sc, opt: opt,
		waiting: map[string]pending{},
		early:   map[string]Completion{},
		kinds:   map[string]int{},
		samples: map[string]string{},
	}
	for range sc.Stages {
		r.stages = append(r.stages, stageAcc{request: hdr.New(), e2e: hdr.New()})
	}

	if opt.Completions != nil {
		go func() {
			for c := range opt.Completions {
				r.complete(c)
			}
		}()
	}

	// Start a little in the future so the first arrival is not late.
	r.start = time.Now().Add(10 * time.Millisecond)
	progCtx, stopProgress := context.WithCancel(ctx)
	progDone := make(chan struct{})
	go func() { defer close(progDone); r.progress(progCtx) }()

	var wg sync.WaitGroup
	sendEnd := r.schedule(ctx, s, &wg)
	if r.opt.scheduled != nil {
		close(r.opt.scheduled)
	}
	r.mu.Lock()
	r.curStage = -1 // the progress line now reports the drain
	r.mu.Unlock()
	wg.Wait()
	r.awaitCompletions(ctx, sendEnd)
	stopProgress()
	<-progDone
	if opt.Progress != nil { // where the run ended, however short it was
		fmt.Fprintln(opt.Progress, r.progressLine())
	}
	return r.result(), ctx.Err()
}

// schedule fires every arrival at its intended time and returns when the
// last one has been fired. Arrival j of an open stage is due at
// stageStart + j/rate, whatever happened to earlier arrivals; a closed stage
// runs its clients until its orders are placed (closedStage).
func (r *run) schedule(ctx context.Context, s Sender, wg *sync.WaitGroup) time.Time {
	stageStart := r.start
	seq := 0
	timer := time.NewTimer(0)
	<-timer.C
	defer timer.Stop()
	for si, st := range r.sc.Stages {
		r.mu.Lock()
		r.curStage = si
		r.mu.Unlock()
		if st.Closed() {
			// it begins where the stage before it ends, like an open one
			if wait := stageStart.Sub(time.Now()); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return time.Now()
				case <-timer.C:
				}
			}
			r.closedStage(ctx, s, si, st, seq)
			seq += st.Orders
			stageStart = time.Now()
			continue
		}
		n := st.Arrivals()
		for j := range n {
			intended := stageStart.Add(time.Duration(float64(j) / st.Rate * float64(time.Second)))
			if wait := intended.Sub(time.Now()); wait > time.Millisecond {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return time.Now()
				case <-timer.C:
				}
			}
			if ctx.Err() != nil {
				return time.Now()
			}
			if !r.admit(si, intended) {
				seq++
				continue
			}
			wg.Add(1)
			go func(seq, si int, intended time.Time) {
				defer wg.Done()
				key, err := s.Send(ctx, seq)
				r.finish(si, intended, key, err)
			}(seq, si, intended)
			seq++
		}
		stageStart = stageStart.Add(st.Duration.Duration)
	}
	return stageStart
}

// closedStage runs a closed stage: st.Clients clients share its orders,
// each sending its next as soon as its previous one is answered, until all
// are sent or the stage's duration is over (orders not sent by then count as
// dropped). It returns when every client has its last answer.
func (r *run) closedStage(ctx context.Context, s Sender, si int, st scenario.Stage, first int) {
	start := time.Now()
	deadline := start.Add(st.Duration.Duration)
	var next sync.Mutex
	j := 0
	take := func() (int, bool) {
		next.Lock()
		defer next.Unlock()
		if j >= st.Orders || ctx.Err() != nil || !time.Now().Before(deadline) {
			return 0, false
		}
		j++
		return first + j - 1, true
	}
	var clients sync.WaitGroup
	for range st.Clients {
		clients.Go(func() {
			for {
				seq, ok := take()
				if !ok {
					return
				}
				sent := time.Now()
				if !r.admit(si, sent) {
					continue
				}
				key, err := s.Send(ctx, seq)
				r.finish(si, sent, key, err)
			}
		})
	}
	clients.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	acc := &r.stages[si]
	acc.seconds = time.Since(start).Seconds()
	if unsent := st.Orders - j; unsent > 0 && ctx.Err() == nil {
		acc.errors += unsent
		acc.dropped += unsent
		r.noteError("dropped", fmt.Sprintf("closed stage %s: %d orders not sent within its duration %s", st.Name, unsent, st.Duration))
	}
}

// admit counts an intended arrival and reserves an in-flight slot; when
// max_in_flight is reached the arrival is dropped (an error), never delayed.
func (r *run) admit(si int, intended time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	sec := r.second(intended)
	sec.intended++
	if r.inFlight >= r.sc.MaxInFlight {
		r.stages[si].errors++
		r.stages[si].dropped++
		sec.errors++
		r.noteError("dropped", fmt.Sprintf("max_in_flight %d reached", r.sc.MaxInFlight))
		return false
	}
	r.inFlight++
	return true
}

func (r *run) finish(si int, intended time.Time, key string, err error) {
	now := time.Now()
	lat := now.Sub(intended)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight--
	sec := r.second(now)
	st := &r.stages[si]
	var shed interface{ Shed() bool }
	if errors.As(err, &shed) && shed.Shed() {
		st.shed++
		sec.shed++
		r.noteError("shed (http 503)", err.Error())
		return
	}
	if err != nil {
		st.errors++
		sec.errors++
		r.noteError(errorKind(err), err.Error())
		return
	}
	st.ok++
	sec.ok++
	st.request.Record(lat)
	sec.request.Record(lat)
	if r.opt.Placed != nil {
		r.opt.Placed(key)
	}
	if r.opt.Completions == nil {
		return
	}
	if c, ok := r.early[key]; ok {
		delete(r.early, key)
		r.record(si, now, c)
		return
	}
	r.waiting[key] = pending{stage: si, acked: now}
}

// complete joins a completion with its acknowledged arrival. Completions of
// keys this run never sent (other traffic on a shared stream) are kept in
// early only while they could still be ours, and dropped at the end.
func (r *run) complete(c Completion) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.waiting[c.Key]
	if !ok {
		r.early[c.Key] = c
		return
	}
	delete(r.waiting, c.Key)
	r.record(p.stage, p.acked, c)
}

// record counts a completion; the caller holds mu. End-to-end latency runs
// from the acknowledgement (201 Created, or produce ack) to the completion;
// a completion seen before the ack counts as zero.
func (r *run) record(si int, acked time.Time, c Completion) {
	st := &r.stages[si]
	sec := r.second(c.At)
	sec.completed++
	if !c.Delivered {
		st.cancelled++
		return
	}
	st.delivered++
	sec.delivered++
	d := c.At.Sub(acked)
	st.e2e.Record(d)
	sec.e2e.Record(d)
}

// awaitCompletions waits until every acknowledged arrival has completed, or
// delivery_timeout after the end of the send phase, or ctx is done.
func (r *run) awaitCompletions(ctx context.Context, sendEnd time.Time) {
	if r.opt.Completions == nil {
		return
	}
	deadline := sendEnd.Add(r.sc.DeliveryTimeout.Duration)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		r.mu.Lock()
		left := len(r.waiting)
		r.mu.Unlock()
		if left == 0 || !time.Now().Before(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// second returns the accumulator for the second of the run t falls in; the
// caller holds mu.
func (r *run) second(t time.Time) *secondAcc {
	i := int(t.Sub(r.start) / time.Second)
	if i < 0 {
		i = 0
	}
	for len(r.seconds) <= i {
		r.seconds = append(r.seconds, secondAcc{request: hdr.New(), e2e: hdr.New()})
	}
	return &r.seconds[i]
}

func (r *run) noteError(kind, msg string) {
	r.kinds[kind]++
	if _, ok := r.samples[kind]; !ok {
		r.samples[kind] = msg
	}
}

// KindError lets a Sender name the class of a failure ("http 503") so the
// report groups failures by cause.
type KindError interface{ Kind() string }

func errorKind(err error) string {
	if k, ok := err.(KindError); ok {
		return k.Kind()
	}
	if ke, ok := unwrapKind(err); ok {
		return ke
	}
	return "transport"
}

func unwrapKind(err error) (string, bool) {
	for err != nil {
		if k, ok := err.(KindError); ok {
			return k.Kind(), true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return "", false
		}
		err = u.Unwrap()
	}
	return "", false
}

// progress prints one line per second until ctx is done.
func (r *run) progress(ctx context.Context) {
	if r.opt.Progress == nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fmt.Fprintln(r.opt.Progress, r.progressLine())
		}
	}
}

func (r *run) progressLine() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	elapsed := time.Now().Sub(r.start).Round(time.Second)
	var ok, errs, shed, delivered int
	req, e2e := hdr.New(), hdr.New()
	for _, st := range r.stages {
		ok += st.ok
		errs += st.errors
		shed += st.shed
		delivered += st.delivered
	}
	// Percentiles over the last completed second: what is happening now.
	if i := int(elapsed/time.Second) - 1; i >= 0 && i < len(r.seconds) {
		req.Merge(r.seconds[i].request)
		e2e.Merge(r.seconds[i].e2e)
	}
	phase := "sends done, waiting"
	if r.curStage >= 0 {
		st := r.sc.Stages[r.curStage]
		phase = fmt.Sprintf("stage %s (%g/s)", st.Name, st.Rate)
		if st.Closed() {
			phase = fmt.Sprintf("stage %s (%d clients)", st.Name, st.Clients)
		}
	}
	line := fmt.Sprintf("[%s %s] %-6s %s: ok %d, errors %d, shed %d, in flight %d, last second p95 %s p99 %s",
		r.sc.Name, r.opt.Mode, elapsed, phase, ok, errs, shed, r.inFlight,
		req.Quantile(0.95).Round(100*time.Microsecond), req.Quantile(0.99).Round(100*time.Microsecond))
	if r.opt.Completions != nil {
		line += fmt.Sprintf(", delivered %d (waiting %d), end-to-end p99 %s", delivered, len(r.waiting), e2e.Quantile(0.99).Round(time.Millisecond))
	}
	return line
}

// result summarises the run; the caller no longer sends.
func (r *run) result() *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Acked arrivals that never completed are undelivered in their stage.
	undelivered := make([]int, len(r.stages))
	for _, p := range r.waiting {
		undelivered[p.stage]++
	}
	res := &Result{
		Scenario:     r.sc.Name,
		Mode:         r.opt.Mode,
		Target:       r.opt.Target,
		Started:      r.start.UTC(),
		WallSeconds:  time.Now().Sub(r.start).Seconds(),
		ErrorKinds:   r.kinds,
		ErrorSamples: r.samples,
	}
	for i := range r.stages {
		if st := r.sc.Stages[i]; !st.Closed() {
			r.stages[i].seconds = st.Duration.Seconds()
		}
		res.SendSeconds += r.stages[i].seconds
	}
	totReq, totE2E := hdr.New(), hdr.New()
	total := StageResult{Name: "total", Seconds: res.SendSeconds}
	for i, acc := range r.stages {
		st := r.sc.Stages[i]
		rate := st.Rate
		if st.Closed() && acc.seconds > 0 {
			rate = float64(st.Orders) / acc.seconds // what the clients offered
		}
		sr := stageResult(st.Name, rate, acc.seconds, st.Arrivals(), acc, undelivered[i])
		res.Stages = append(res.Stages, sr)
		totReq.Merge(acc.request)
		totE2E.Merge(acc.e2e)
		total.Planned += sr.Planned
		total.OK += sr.OK
		total.Errors += sr.Errors
		total.Shed += sr.Shed
		total.Dropped += sr.Dropped
		total.Delivered += sr.Delivered
		total.Cancelled += sr.Cancelled
		total.Undelivered += sr.Undelivered
	}
	if total.Seconds > 0 {
		total.Rate = float64(total.Planned) / total.Seconds
		total.Throughput = float64(total.OK) / total.Seconds
		total.DeliveredThroughput = float64(total.Delivered) / total.Seconds
		total.CompletedThroughput = float64(total.Delivered+total.Cancelled) / total.Seconds
	}
	if attempted := total.OK + total.Errors + total.Shed; attempted > 0 {
		total.ErrorRate = float64(total.Errors) / float64(attempted)
	}
	total.Request = summarize(totReq)
	total.EndToEnd = summarize(totE2E)
	res.Total = total
	for i, s := range r.seconds {
		res.Series = append(res.Series, Point{
			Second: i, Intended: s.intended, OK: s.ok, Errors: s.errors, Shed: s.shed, Delivered: s.delivered, Completed: s.completed,
			P50: ms(s.request.Quantile(0.5)), P95: ms(s.request.Quantile(0.95)), P99: ms(s.request.Quantile(0.99)),
			E2EP99: ms(s.e2e.Quantile(0.99)),
		})
	}
	return res
}

func stageResult(name string, rate, secs float64, planned int, acc stageAcc, undelivered int) StageResult {
	sr := StageResult{
		Name: name, Rate: rate, Seconds: secs, Planned: planned,
		OK: acc.ok, Errors: acc.errors, Dropped: acc.dropped, Shed: acc.shed,
		Delivered: acc.delivered, Cancelled: acc.cancelled, Undelivered: undelivered,
		Request: summarize(acc.request), EndToEnd: summarize(acc.e2e),
	}
	if secs > 0 {
		sr.Throughput = float64(acc.ok) / secs
		sr.DeliveredThroughput = float64(acc.delivered) / secs
		sr.CompletedThroughput = float64(acc.delivered+acc.cancelled) / secs
	}
	if attempted := acc.ok + acc.errors + acc.shed; attempted > 0 {
		sr.ErrorRate = float64(acc.errors) / float64(attempted)
	}
	return sr
}
