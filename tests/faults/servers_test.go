//go:build faults

package faults

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/services/events"
)

// The servers here, unlike tests/testenv's, can be stopped
// and started again on the same port and data: that is the fault.

// postgresBin is where Debian's postgresql-15 package puts its binaries
// (scripts/install-deps.sh installs them).
const postgresBin = "/usr/lib/postgresql/15/bin"

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// postgres is a throwaway Postgres 15 that can be stopped (pg_ctl stop -m
// fast) and started again on the same data directory and port, like an RDS
// failover seen from the client. The postmaster is this test's child, so
// it dies with the test process even when a timeout skips the cleanups.
type postgres struct {
	server    process
	dir, data string
	port      int
	cred      *syscall.Credential // the postgres user when the test runs as root
}

// startPostgres initdbs and starts a server. durable keeps Postgres's
// defaults (fsync, synchronous_commit) as a production database has them;
// otherwise they are off, like the other integration tests' servers.
func startPostgres(tb testing.TB, durable bool) *postgres {
	tb.Helper()
	dir, err := os.MkdirTemp("", "faults-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &postgres{dir: dir, data: filepath.Join(dir, "data"), port: freePort(tb)}
	if os.Geteuid() == 0 { // postgres refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("running as root needs a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	args := []string{filepath.Join(postgresBin, "postgres"), "-D", p.data, "-p", strconv.Itoa(p.port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200",
		// Statement and WAL statistics for BenchmarkPipeline's report.
		"-c", "shared_preload_libraries=pg_stat_statements", "-c", "track_wal_io_timing=on"}
	if !durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	// The log lives outside the data directory, which belongs to postgres.
	p.server = process{name: "postgres", logPath: filepath.Join(tb.TempDir(), "postgres.log"), args: args, cred: p.cred}
	if out, err := p.run("initdb", "-D", p.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	p.start(tb)
	tb.Cleanup(func() { p.server.signal(tb, syscall.SIGQUIT) }) // immediate shutdown
	return p
}

func (p *postgres) run(name string, args ...string) ([]byte, error) {
	c := exec.Command(filepath.Join(postgresBin, name), args...)
	c.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	c.Dir = p.dir
	return c.CombinedOutput()
}

// start starts the server and waits until it accepts connections.
func (p *postgres) start(tb testing.TB) {
	tb.Helper()
	p.server.start(tb)
	ok := awaitCond(2*time.Minute, 50*time.Millisecond, func() bool {
		if p.server.exited() {
			return true // reported below
		}
		db, err := sql.Open("pgx", p.url("postgres"))
		if err != nil {
			return false
		}
		defer db.Close()
		return db.Ping() == nil
	})
	if !ok || p.server.exited() {
		tb.Fatalf("postgres not ready on port %d:\n%s", p.port, p.server.logTail())
	}
}

// stop is a fast shutdown (pg_ctl stop -m fast): sessions are
// disconnected, open transactions rolled back.
func (p *postgres) stop(tb testing.TB) {
	tb.Helper()
	if out, err := p.run("pg_ctl", "stop", "-D", p.data, "-m", "fast", "-w", "-t", "120"); err != nil {
		tb.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
	select {
	case <-p.server.done:
		p.server.cmd = nil
	case <-time.After(time.Minute):
		tb.Fatal("postgres stopped but its process did not exit")
	}
}

func (p *postgres) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

// process is a child process whose output goes to a log file (appended
// across restarts, so a failure shows the whole story).
type process struct {
	name, logPath string
	args, env     []string
	cred          *syscall.Credential // nil: this test's user
	cmd           *exec.Cmd
	done          chan struct{}
}

func (p *process) start(tb testing.TB) {
	tb.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	p.cmd = exec.Command(p.args[0], p.args[1:]...)
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	// Killed with the test process, even when a timeout skips the cleanups.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		tb.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	p.done = done
	go func(cmd *exec.Cmd) {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}(p.cmd)
}

// signal sends sig and waits for the process to exit (SIGKILL after a
// minute, so a hung shutdown cannot hang the suite).
func (p *process) signal(tb testing.TB, sig syscall.Signal) {
	tb.Helper()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
		tb.Errorf("%s did not exit within a minute of %v: killed", p.name, sig)
	}
	p.cmd = nil
}

// exited reports whether the process has ended on its own.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logTail returns the end of the process's log, for failure messages.
func (p *process) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// awaitCond polls cond until it holds or within has passed. It is how
// the suite waits: on a condition, never for a fixed time.
func awaitCond(within, every time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every)
	}
	return true
}

// redisServer is a Redis 7 that keeps its data across a stop (an append
// only file), like a managed Redis whose primary comes back.
type redisServer struct {
	process
	port int
}

func startRedis(tb testing.TB, dir string) *redisServer {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server missing (run scripts/install-deps.sh): %v", err)
	}
	r := &redisServer{port: freePort(tb)}
	r.process = process{name: "redis", logPath: filepath.Join(dir, "redis.log"),
		args: []string{bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes"}}
	r.up(tb)
	tb.Cleanup(func() { r.signal(tb, syscall.SIGKILL) })
	return r
}

func (r *redisServer) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

// up starts the server and waits until it answers PING.
func (r *redisServer) up(tb testing.TB) {
	tb.Helper()
	r.start(tb)
	ok := awaitCond(30*time.Second, 20*time.Millisecond, func() bool {
		c, err := net.DialTimeout("tcp", r.addr(), 200*time.Millisecond)
		if err != nil {
			return false
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return false
		}
		buf := make([]byte, 7)
		n, _ := c.Read(buf)
		return strings.HasPrefix(string(buf[:n]), "+PONG")
	})
	if !ok {
		tb.Fatalf("redis not ready on %s:\n%s", r.addr(), r.logTail())
	}
}

// broker is the embedded Kafka broker as its own process
// (`platform kafka --data-dir DIR`), restartable on its data.
type broker struct {
	process
	port int
}

func startBroker(tb testing.TB, platformBin, dir string) *broker {
	tb.Helper()
	b := &broker{port: freePort(tb)}
	b.process = process{name: "kafka", logPath: filepath.Join(dir, "kafka.log"),
		args: []string{platformBin, "kafka", "--data-dir", filepath.Join(dir, "kafka-data"), "--port", strconv.Itoa(b.port)},
		env:  []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}}
	b.up(tb)
	tb.Cleanup(func() { b.signal(tb, syscall.SIGTERM) })
	return b
}

func (b *broker) addr() string { return fmt.Sprintf("127.0.0.1:%d", b.port) }

// up starts the broker and waits until it serves the platform's topics.
func (b *broker) up(tb testing.TB) {
	tb.Helper()
	b.start(tb)
	ok := awaitCond(60*time.Second, 50*time.Millisecond, func() bool {
		if b.exited() {
			return false
		}
		c, err := kafkago.DialContext(context.Background(), "tcp", b.addr())
		if err != nil {
			return false
		}
		defer c.Close()
		parts, err := c.ReadPartitions(events.TopicOrder)
		return err == nil && len(parts) == events.Partitions
	})
	if !ok {
		tb.Fatalf("kafka broker not ready on %s:\n%s", b.addr(), b.logTail())
	}
}

// service is one of the six service binaries.
type service struct {
	process
	port        int
	metricsPort int
}

func (s *service) url() string { return fmt.Sprintf("http://127.0.0.1:%d", s.port) }

// metricsURL is the service's /metrics port (METRICS_ADDR).
func (s *service) metricsURL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.metricsPort) }

// up starts the service and waits until /readyz answers 200.
func (s *service) up(tb testing.TB) {
	tb.Helper()
	s.start(tb)
	client := &http.Client{Timeout: time.Second}
	ok := awaitCond(90*time.Second, 50*time.Millisecond, func() bool {
		if s.exited() {
			return true // reported below
		}
		resp, err := client.Get(s.url() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if !ok || s.exited() {
		tb.Fatalf("%s not ready on %s:\n%s", s.name, s.url(), s.logTail())
	}
}
