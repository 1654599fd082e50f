//go:build integration

// Package images checks the services' Dockerfile without a container engine
// (none runs on our machines; the release workflow builds the real images).
// For each service the model deploys it replays services/Dockerfile's build
// stage as written, with that service as the SERVICE build argument
// (the same COPY set from the repository root, the same go build command),
// then checks what the final stage would ship: a static binary (the base is
// distroless static, which has no libc), run as a non-root numeric user,
// that starts with the final stage's ENV, answers /healthz on the EXPOSEd
// port's address and exits 0 on SIGTERM. A Dockerfile whose COPY set misses
// a package the service imports, or whose binary needs cgo, fails here.
package images

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deployed lists the services the model deploys: the folders of the
// rendered dev environment (environments/dev/<service>/values.gen.yaml).
func deployed(t *testing.T, root string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "environments", "dev", "*", "values.gen.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rendered services under environments/dev (%v)", err)
	}
	var out []string
	for _, f := range files {
		out = append(out, filepath.Base(filepath.Dir(f)))
	}
	return out
}

func TestDockerfile(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "services", "Dockerfile")
	stages, err := parseDockerfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) < 2 {
		t.Fatalf("%s: %d stage(s), want a multi-stage build", path, len(stages))
	}
	final := stages[len(stages)-1]
	checkFinalStage(t, path, final)
	from, src, _ := copyParts(t, final)
	build := stageNamed(t, stages, from)
	t.Run("without SERVICE", func(t *testing.T) {
		if err := replay(t, root, build, nil, t.TempDir()); err == nil || !strings.Contains(err.Error(), "--build-arg SERVICE=") {
			t.Errorf("a build without the SERVICE argument: %v, want a failure naming it", err)
		}
	})
	for _, svc := range deployed(t, root) {
		t.Run(svc, func(t *testing.T) {
			buildArgs := map[string]string{"SERVICE": svc}
			out := t.TempDir()
			if err := replay(t, root, build, buildArgs, out); err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(out, strings.TrimPrefix(src, "/"))
			checkStatic(t, bin)
			env := final.env(t, buildArgs)
			if env["SERVICE_NAME"] != svc {
				t.Errorf("SERVICE_NAME=%q in the image of %s", env["SERVICE_NAME"], svc)
			}
			runBinary(t, bin, final, env)
		})
	}
}

// stage is one FROM ... [AS name] block of a Dockerfile.
type stage struct {
	from, name string
	instrs     []instr
}

type instr struct {
	op   string // upper-case instruction
	args string // the rest of the logical line
	line int
}

// parseDockerfile reads logical lines (joining backslash continuations) and
// groups them by stage. It knows the instructions our Dockerfiles use.
func parseDockerfile(path string) ([]*stage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var stages []*stage
	var cur strings.Builder
	start, n := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		op, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := instr{op: strings.ToUpper(op), args: strings.TrimSpace(args), line: start}
		switch {
		case in.op == "FROM":
			fields := strings.Fields(in.args)
			st := &stage{}
			for i := 0; i < len(fields); i++ {
				switch {
				case strings.HasPrefix(fields[i], "--"):
				case strings.EqualFold(fields[i], "AS") && i+1 < len(fields):
					st.name = fields[i+1]
					i++
				case st.from == "":
					st.from = fields[i]
				}
			}
			stages = append(stages, st)
		case len(stages) == 0:
			if in.op != "ARG" {
				return nil, fmt.Errorf("%s:%d: %s before FROM", path, in.line, in.op)
			}
		default:
			stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
		}
	}
	return stages, sc.Err()
}

func (s *stage) all(op string) []instr {
	var out []instr
	for _, in := range s.instrs {
		if in.op == op {
			out = append(out, in)
		}
	}
	return out
}

func (s *stage) one(t *testing.T, op string) instr {
	t.Helper()
	ins := s.all(op)
	if len(ins) != 1 {
		t.Fatalf("stage %s: %d %s instructions, want 1", s.from, len(ins), op)
	}
	return ins[0]
}

// env returns the stage's ENV settings (KEY=value form), with $ARG and
// ${ARG} replaced by the stage's build arguments as docker does.
func (s *stage) env(t *testing.T, buildArgs map[string]string) map[string]string {
	t.Helper()
	args := s.args(buildArgs)
	env := map[string]string{}
	for _, in := range s.all("ENV") {
		for _, kv := range strings.Fields(in.args) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("line %d: ENV %q: want KEY=value", in.line, kv)
			}
			env[k] = os.Expand(v, func(name string) string { return args[name] })
		}
	}
	return env
}

// args are the stage's ARGs: the build argument given, else the default.
func (s *stage) args(buildArgs map[string]string) map[string]string {
	args := map[string]string{}
	for _, in := range s.all("ARG") {
		for _, kv := range strings.Fields(in.args) {
			k, v, _ := strings.Cut(kv, "=")
			if given, ok := buildArgs[k]; ok {
				v = given
			}
			args[k] = v
		}
	}
	return args
}

// checkFinalStage: what ships is a static distroless (or empty) base, a
// numeric non-root user, and an exec-form entrypoint.
func checkFinalStage(t *testing.T, path string, final *stage) {
	t.Helper()
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") && final.from != "scratch" {
		t.Errorf("%s: final base %s: want distroless static or scratch (no shell, no libc)", path, final.from)
	}
	user := final.one(t, "USER").args
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("%s: USER %s: want a numeric non-root uid (runAsNonRoot can only verify numbers)", path, user)
	}
	var entry []string
	if err := json.Unmarshal([]byte(final.one(t, "ENTRYPOINT").args), &entry); err != nil || len(entry) == 0 {
		t.Fatalf("%s: ENTRYPOINT must be exec form (a JSON list): %v", path, err)
	}
	if _, _, dst := copyParts(t, final); entry[0] != dst {
		t.Errorf("%s: ENTRYPOINT runs %s but the binary is copied to %s", path, entry[0], dst)
	}
}

// copyParts reads the final stage's one COPY --from=<stage> <src> <dst>.
func copyParts(t *testing.T, final *stage) (from, src, dst string) {
	t.Helper()
	fields := strings.Fields(final.one(t, "COPY").args)
	if len(fields) != 3 || !strings.HasPrefix(fields[0], "--from=") {
		t.Fatalf("final stage COPY %v: want --from=<stage> <src> <dst>", fields)
	}
	return strings.TrimPrefix(fields[0], "--from="), fields[1], fields[2]
}

func stageNamed(t *testing.T, stages []*stage, name string) *stage {
	t.Helper()
	for _, s := range stages {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no stage named %s", name)
	return nil
}

// replay runs a Go build stage on this machine: WORKDIR becomes a temp
// dir holding only what the stage COPYs from the repository root, ARGs take
// the build arguments or their defaults, RUN --mount flags are dropped (they
// are caches), and absolute output paths are moved under root. A failing
// RUN is returned with its output.
func replay(t *testing.T, repo string, st *stage, buildArgs map[string]string, root string) error {
	t.Helper()
	work := filepath.Join(root, strings.TrimPrefix(st.one(t, "WORKDIR").args, "/"))
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	args := st.args(buildArgs)
	for _, in := range st.instrs {
		switch in.op {
		case "COPY":
			fields := strings.Fields(in.args)
			dst := filepath.Join(work, fields[len(fields)-1])
			for _, src := range fields[:len(fields)-1] {
				copyPath(t, filepath.Join(repo, src), dst)
			}
		case "RUN":
			var words []string
			for _, w := range strings.Fields(in.args) {
				if !strings.HasPrefix(w, "--mount=") {
					words = append(words, w)
				}
			}
			script := strings.Join(words, " ")
			// The only absolute path a build stage writes is its output dir.
			script = strings.ReplaceAll(script, " /out/", " "+filepath.Join(root, "out")+"/")
			cmd := exec.Command("sh", "-c", script)
			cmd.Dir = work
			cmd.Env = os.Environ()
			for k, v := range args {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("Dockerfile line %d: RUN %s: %v\n%s", in.line, script, err, b)
			}
		}
	}
	return nil
}

// copyPath copies a file or a tree into dst, as COPY does (a directory's
// contents go into dst; a file goes into dst when dst ends in /).
func copyPath(t *testing.T, src, dst string) {
	t.Helper()
	info, err := os.Stat(src)
	if err != nil {
		t.Fatalf("COPY source: %v", err)
	}
	if info.IsDir() {
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, filepath.Base(src)), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkStatic: distroless static has no dynamic loader or libc, so the
// binary must have no interpreter and no needed libraries.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("built binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a dynamic loader (PT_INTERP): it would not start on distroless static", bin)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v", bin, libs)
	}
}

// runBinary starts the binary as the image would (its ENV, nothing from this
// machine's environment but PATH-free basics), on a free port, and checks
// health and a clean exit on SIGTERM, which is how Kubernetes stops a pod.
func runBinary(t *testing.T, bin string, final *stage, env map[string]string) {
	t.Helper()
	// EXPOSE names the HTTP port, then the /metrics port.
	ports := strings.Fields(final.one(t, "EXPOSE").args)
	for i, v := range []string{"HTTP_ADDR", "METRICS_ADDR"} {
		if _, p, _ := strings.Cut(env[v], ":"); i >= len(ports) || p != ports[i] {
			t.Errorf("EXPOSE %v but %s=%s", ports, v, env[v])
		}
	}
	addr := freeAddr(t)
	env["HTTP_ADDR"] = addr
	env["METRICS_ADDR"] = freeAddr(t)
	env["SHUTDOWN_DELAY"] = "0s"
	// No cluster here: the embedded parts, asked for by name (an empty
	// setting fails the start; the eta service's model is trained at start).
	for _, v := range []string{"KAFKA_BROKERS", "DATABASE_URL", "REDIS_URL", "ETA_MODEL_DIR"} {
		env[v] = "embedded"
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("%s exited before it was healthy: %v\n%s", bin, err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy on %s after 60s: %v\n%s", bin, addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("%s on SIGTERM: %v\n%s", bin, err, logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s still running 60s after SIGTERM\n%s", bin, logs.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	// Below the kernel's ephemeral range (32768-60999 here): the binary's
	// embedded broker and its clients take ports from that range, and a
	// port this test found free there could be taken again before the
	// binary binds it.
	for port := 20000 + rand.IntN(10000); ; port++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			l.Close()
			return l.Addr().String()
		}
		if port > 31000 {
			t.Fatalf("no free port below the ephemeral range: %v", err)
		}
	}
}
