package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
)

// Exception waives one rule for one resource until a date. Exceptions are
// typed data in the CUE model (cue/schemas/exception.cue, values in
// cue/config/exceptions.cue) so they are reviewed like any other change.
type Exception struct {
	Rule     string   `json:"rule"`
	Resource Resource `json:"resource"`
	Owner    string   `json:"owner"`
	Reason   string   `json:"reason"`
	Expires  string   `json:"expires"` // YYYY-MM-DD, last day the exception applies
	Pos      string   `json:"position,omitempty"`
}

// Rules the gate itself reports about exceptions.
const (
	RuleExceptionExpired  = "exceptions.expired"
	RuleExceptionUnknown  = "exceptions.unknown_rule"
	RuleExceptionExpiring = "exceptions.expiring"
	expiringWithin        = 14 * 24 * time.Hour
)

const exceptionRemediation = "Edit cue/config/exceptions.cue: fix the resource so the exception is no longer needed and delete it, or renew it with a new expiry date and a reason reviewers accept."

// matches reports whether the exception covers finding f.
func (x *Exception) matches(f *Finding) bool {
	return x.Rule == f.Rule &&
		x.Resource.Kind == f.Resource.Kind &&
		x.Resource.Namespace == f.Resource.Namespace &&
		x.Resource.Name == f.Resource.Name &&
		(x.Resource.Container == "" || x.Resource.Container == f.Resource.Container)
}

// ApplyExceptions marks the findings that a valid exception covers and
// returns findings about the exceptions themselves: expired ones and ones
// naming an unknown rule fail the check; ones expiring soon are warned about.
func (e *Engine) ApplyExceptions(findings []Finding, exceptions []Exception, today time.Time) []Finding {
	var out []Finding
	day := today.UTC().Truncate(24 * time.Hour)
	valid := make([]*Exception, 0, len(exceptions))
	for i := range exceptions {
		x := &exceptions[i]
		file, line := splitPos(x.Pos)
		problem := func(rule, level, severity, title, msg string) {
			out = append(out, Finding{
				Rule: rule, Level: level, Severity: severity, Title: title, Message: msg,
				Remediation: exceptionRemediation, File: file, Line: line,
				Resource: Resource{Kind: "Exception", Name: x.Rule + " " + x.Resource.String()},
			})
		}
		if _, ok := e.rules[x.Rule]; !ok {
			problem(RuleExceptionUnknown, LevelDeny, "high", "Exceptions must name a known rule",
				fmt.Sprintf("exception names rule %q, which no policy defines", x.Rule))
			continue
		}
		expires, err := time.Parse(time.DateOnly, x.Expires)
		if err != nil {
			problem(RuleExceptionExpired, LevelDeny, "high", "Exceptions must not be expired",
				fmt.Sprintf("exception expiry %q is not a YYYY-MM-DD date", x.Expires))
			continue
		}
		if expires.Before(day) {
			problem(RuleExceptionExpired, LevelDeny, "high", "Exceptions must not be expired",
				fmt.Sprintf("exception for %s (owner %s) expired on %s", x.Rule, x.Owner, x.Expires))
			continue
		}
		if expires.Sub(day) < expiringWithin {
			problem(RuleExceptionExpiring, LevelWarn, "low", "Exception expires soon",
				fmt.Sprintf("exception for %s (owner %s) expires on %s", x.Rule, x.Owner, x.Expires))
		}
		valid = append(valid, x)
	}
	for i := range findings {
		for _, x := range valid {
			if x.matches(&findings[i]) {
				findings[i].WaivedBy = x
				break
			}
		}
	}
	return out
}

func splitPos(pos string) (string, int) {
	var line int
	for i := len(pos) - 1; i >= 0; i-- {
		if pos[i] == ':' {
			if _, err := fmt.Sscanf(pos[i+1:], "%d", &line); err == nil {
				return pos[:i], line
			}
			break
		}
	}
	return pos, 0
}

// LoadExceptions evaluates the CUE package cue/config (the whole package, so
// the gate reads the same model the render does) and decodes its top-level
// `exceptions` list. A missing cue/config/exceptions.cue means no
// exceptions. CUE errors are bad input and carry file:line:col.
func LoadExceptions(cueDir string) ([]Exception, error) {
	if _, err := os.Stat(filepath.Join(cueDir, "config", "exceptions.cue")); os.IsNotExist(err) {
		return nil, nil
	}
	insts := load.Instances([]string{"./config"}, &load.Config{Dir: cueDir})
	if len(insts) != 1 {
		return nil, fmt.Errorf("load %s/config: got %d instances, want 1", cueDir, len(insts))
	}
	if err := insts[0].Err; err != nil {
		return nil, fmt.Errorf("load exceptions: %s", cueErr(err))
	}
	v := cuecontext.New().BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("evaluate exceptions: %s", cueErr(err))
	}
	list := v.LookupPath(cue.ParsePath("exceptions"))
	if !list.Exists() {
		return nil, nil
	}
	iter, err := list.List()
	if err != nil {
		return nil, fmt.Errorf("exceptions: %s", cueErr(err))
	}
	var out []Exception
	for i := 0; iter.Next(); i++ {
		v := iter.Value()
		pos := v.Pos()
		if r := v.LookupPath(cue.ParsePath("rule")); r.Exists() && r.Pos().IsValid() {
			pos = r.Pos()
		}
		where := fmt.Sprintf("exceptions[%d]", i)
		if pos.IsValid() {
			where = fmt.Sprintf("%s:%d: %s", relPath(pos.Filename()), pos.Line(), where)
		}
		if err := v.Validate(cue.Concrete(true)); err != nil {
			return nil, fmt.Errorf("%s: %s", where, cueErr(err))
		}
		var x Exception
		if err := v.Decode(&x); err != nil {
			return nil, fmt.Errorf("%s: %s", where, cueErr(err))
		}
		if pos.IsValid() {
			x.Pos = fmt.Sprintf("%s:%d", relPath(pos.Filename()), pos.Line())
		}
		out = append(out, x)
	}
	return out, nil
}

// cueErr renders every CUE error with its position.
func cueErr(err error) string {
	return cueerrors.Details(err, &cueerrors.Config{Cwd: workDir()})
}

// workDir is the working directory, or "" when it cannot be read (paths then
// stay absolute).
func workDir() string {
	wd, _ := os.Getwd()
	return wd
}

func relPath(p string) string {
	if rel, err := filepath.Rel(workDir(), p); err == nil {
		return rel
	}
	return p
}
