//go:build faults

package faults

import (
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

// postgresCPU is the whole server's CPU: the postmaster, its exited
// children, and the running backends and workers.
func (p *postgres) cpu() (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(p.data, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	pm, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		return 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	total, err := procCPU(pm, true)
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || ppidOf(pid) != pm {
			continue
		}
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
