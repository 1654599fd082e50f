//go:build faults

package faults

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's times
// (100 on every Linux this runs on).
const clockTicks = 100

// procCPU returns a process's CPU time (user + system), plus that of its
// children it has waited for when withChildren is set.
func procCPU(pid int, withChildren bool) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count from after
	// its closing parenthesis, where field 3 (state) is index 0.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	sum := 0
	last := 12 // utime (14) and stime (15): indexes 11, 12
	if withChildren {
		last = 14 // cutime (16), cstime (17)
	}
	for i := 11; i <= last; i++ {
		n, err := strconv.Atoi(f[i])
		if err != nil {
			return 0, err
		}
		sum += n
	}
	return time.Duration(sum) * time.Second / clockTicks, nil
}

// ppidOf returns a process's parent id.
func ppidOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return -1
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// pids returns the postmaster's and its children's process ids.
func (p *postgres) pids() ([]int, error) {
	b, err := os.ReadFile(filepath.Join(p.data, "postmaster.pid"))
	if err != nil {
		return nil, err
	}
	pm, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		return nil, fmt.Errorf("postmaster.pid: %w", err)
	}
	out := []int{pm}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && ppidOf(pid) == pm {
			out = append(out, pid)
		}
	}
	return out, nil
}

// cpu is the whole server's CPU: the postmaster, its exited
// children, and the running backends and workers.
func (p *postgres) cpu() (time.Duration, error) {
	pids, err := p.pids()
	if err != nil {
		return 0, err
	}
	total, err := procCPU(pids[0], true) // with its exited children
	if err != nil {
		return 0, err
	}
	for _, pid := range pids[1:] {
		if d, err := procCPU(pid, false); err == nil {
			total += d
		}
	}
	return total, nil
}

// cpuMeter samples named CPU counters before and after a measurement.
type cpuMeter map[string]func() (time.Duration, error)

func (m cpuMeter) sample() map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, f := range m {
		if d, err := f(); err == nil {
			out[name] = d
		}
	}
	return out
}

func pidCPU(p *process) func() (time.Duration, error) {
	return func() (time.Duration, error) {
		if p.cmd == nil || p.cmd.Process == nil {
			return 0, fmt.Errorf("%s not running", p.name)
		}
		return procCPU(p.cmd.Process.Pid, true)
	}
}

// pgStats reports where Postgres spends its time during a run: after
// reset, report gives transactions and WAL flushes per order and the
// statements with the most execution time.
type pgStats struct{ db *sql.DB }

func (p pgStats) reset(ctx context.Context) error {
	for _, q := range []string{
		"CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
		"SELECT pg_stat_statements_reset()",
		"SELECT pg_stat_reset_shared('wal')",
		"SELECT pg_stat_reset()",
	} {
		if _, err := p.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func (p pgStats) report(ctx context.Context, orders int) (string, error) {
	if orders == 0 {
		return "", nil
	}
	var commits, syncs int64
	var syncMS float64
	if err := p.db.QueryRowContext(ctx, `SELECT (SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = current_database()),
		wal_sync, wal_sync_time FROM pg_stat_wal`).Scan(&commits, &syncs, &syncMS); err != nil {
		return "", err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "postgres: %.1f commits/order, %.1f WAL flushes/order (%.2f ms of flushing/order); most execution time:",
		float64(commits)/float64(orders), float64(syncs)/float64(orders), syncMS/float64(orders))
	rows, err := p.db.QueryContext(ctx, `SELECT calls, total_exec_time, left(regexp_replace(query, '\s+', ' ', 'g'), 70)
		FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 6`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var calls int64
		var ms float64
		var q string
		if err := rows.Scan(&calls, &ms, &q); err != nil {
			return "", err
		}
		fmt.Fprintf(&sb, " [%.0f us/order, %.1f calls/order: %s]", ms*1000/float64(orders), float64(calls)/float64(orders), q)
	}
	return sb.String(), rows.Err()
}
