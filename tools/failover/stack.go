package failover

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Package is the Debian package of pg_auto_failover for PostgreSQL 15.
const Package = "postgresql-15-auto-failover"

// Timing is how fast the monitor fails over. pg_auto_failover's defaults (20 s
// before a silent node is unhealthy, 30 s for a primary to drain) are for
// networks where a pause is not a death; on one machine, and in a drill
// that kills the primary for certain, seconds will do. The keepers'
// network_partition_timeout stays below DemoteTimeout: a primary cut off
// from the monitor and its standby stops itself before the standby may be
// promoted, so two primaries never take writes.
type Timing struct {
	HealthCheckPeriod, HealthCheckTimeout, UnhealthyTimeout, DemoteTimeout time.Duration
	NetworkPartitionTimeout                                                time.Duration
}

// DrillTiming is the drill's: a dead primary is replaced in about ten
// seconds, while a node on a machine loaded to a load average of 25 still
// answers its health checks in time.
var DrillTiming = Timing{
	HealthCheckPeriod: time.Second, HealthCheckTimeout: 2 * time.Second,
	UnhealthyTimeout: 3 * time.Second, DemoteTimeout: 5 * time.Second,
	NetworkPartitionTimeout: 3 * time.Second,
}

// Stack is a pg_auto_failover formation on loopback ports: a monitor and
// two data nodes, node1 the first primary, node2 its synchronous standby,
// each run by its own `pg_autoctl run` in a directory of its own.
type Stack struct {
	Dir     string
	Ports   [3]int // monitor, node1, node2
	DBUser  string // the superuser, trusted from loopback
	Keep    bool   // Close leaves the directory, logs and data, behind
	bin     string // PostgreSQL's binaries
	owner   *user.User
	keepers map[string]*exec.Cmd // by node: pg_autoctl run
	monitor *sql.DB
	log     io.Writer // stack.log: the commands' output
}

// node names, in order of their ports after the monitor's.
var nodes = []string{"node1", "node2"}

// Start sets the formation up in a new directory under parent (the
// system's temporary directory if empty), installing the Debian package
// if pg_autoctl is missing, and returns once node1 is the primary with
// node2 as its synchronous standby. On error it has torn down what it
// started.
func Start(ctx context.Context, parent string, basePort int, t Timing, out io.Writer) (_ *Stack, err error) {
	if err := ensurePackage(ctx, out); err != nil {
		return nil, err
	}
	s := &Stack{Ports: [3]int{basePort, basePort + 1, basePort + 2}, keepers: map[string]*exec.Cmd{}}
	for _, p := range s.Ports {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return nil, fmt.Errorf("port %d is taken (choose another base port): %w", p, err)
		}
		ln.Close()
	}
	if s.bin, err = postgresBin(); err != nil {
		return nil, err
	}
	if s.Dir, err = os.MkdirTemp(parent, "minipay-failover-*"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, s.tails())
			s.Close()
		}
	}()
	if err := s.setOwner(); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(s.Dir, "stack.log"))
	if err != nil {
		return nil, err
	}
	s.log = logf
	fmt.Fprintf(out, "pg_auto_failover in %s: monitor :%d, node1 :%d, node2 :%d\n", s.Dir, s.Ports[0], s.Ports[1], s.Ports[2])
	if err := s.startMonitor(ctx, t); err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	for _, name := range nodes {
		if err := s.startNode(ctx, name, t); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := s.waitStates(ctx, 3*time.Minute, map[string]string{"node1": "primary", "node2": "secondary"}); err != nil {
		return nil, err
	}
	return s, nil
}

// ensurePackage installs pg_auto_failover with apt-get if pg_autoctl is
// not on the PATH (as root; anyone else is told what to install).
func ensurePackage(ctx context.Context, out io.Writer) error {
	if _, err := exec.LookPath("pg_autoctl"); err == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("pg_autoctl is not installed: apt-get install %s", Package)
	}
	fmt.Fprintf(out, "installing %s\n", Package)
	install := func() ([]byte, error) {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "-q", Package)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if _, err := install(); err == nil {
		return nil
	}
	// A fresh machine may not have read the package lists yet.
	if b, err := exec.CommandContext(ctx, "apt-get", "update", "-q").CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get update: %v\n%s", err, b)
	}
	if b, err := install(); err != nil {
		return fmt.Errorf("apt-get install %s: %v\n%s", Package, err, b)
	}
	return nil
}

// postgresBin is the binary directory of the PostgreSQL the package
// extends.
func postgresBin() (string, error) {
	libs, _ := filepath.Glob("/usr/lib/postgresql/*/lib/pgautofailover.so")
	if len(libs) == 0 {
		return "", errors.New("no PostgreSQL carries the pgautofailover extension")
	}
	return filepath.Join(filepath.Dir(filepath.Dir(libs[len(libs)-1])), "bin"), nil
}

// setOwner picks who runs PostgreSQL: it refuses to run as root, so root
// hands the directory to the postgres user and runs everything as it.
func (s *Stack) setOwner() error {
	u, err := user.Current()
	if err != nil {
		return err
	}
	if u.Uid == "0" {
		if u, err = user.Lookup("postgres"); err != nil {
			return fmt.Errorf("PostgreSQL cannot run as root and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(s.Dir, uid, gid); err != nil {
			return err
		}
	}
	s.owner, s.DBUser = u, u.Username
	return nil
}

// command runs name as the owner, with PostgreSQL's binaries first on the
// PATH and pg_autoctl's configuration and state inside the stack's
// directory, not in the owner's home.
func (s *Stack) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	if p := filepath.Join(s.bin, name); fileExists(p) {
		name = p
	}
	if cur, _ := user.Current(); cur != nil && cur.Uid != s.owner.Uid {
		args = append([]string{"-u", s.owner.Username, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.Dir
	cmd.Env = []string{
		"PATH=" + s.bin + ":/usr/bin:/bin",
		"HOME=" + s.Dir,
		"XDG_CONFIG_HOME=" + filepath.Join(s.Dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(s.Dir, "share"),
		"PGHOST=127.0.0.1",
	}
	return cmd
}

// run runs a command to its end, its output going to the stack's log.
func (s *Stack) run(ctx context.Context, name string, args ...string) error {
	cmd := s.command(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w (see %s)", name, strings.Join(args, " "), err, filepath.Join(s.Dir, "stack.log"))
	}
	return nil
}

// keep starts a long-running pg_autoctl in a process group of its own,
// so killing the group takes its PostgreSQL with it, as a machine's death
// would.
func (s *Stack) keep(name string, args ...string) error {
	cmd := s.command(context.Background(), "pg_autoctl", args...)
	logf, err := os.Create(filepath.Join(s.Dir, name+".log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	go func() { cmd.Wait(); logf.Close() }()
	s.keepers[name] = cmd
	return nil
}

// conf appends PostgreSQL settings to a data directory's
// postgresql.auto.conf, read last, so they win over pg_autoctl's own
// (which sizes shared_buffers for a machine to itself).
func (s *Stack) conf(pgdata string, settings ...string) error {
	path := filepath.Join(pgdata, "postgresql.auto.conf")
	return s.run(context.Background(), "sh", "-c", `printf '%s\n' "$@" >> `+path, "sh", strings.Join(settings, "\n"))
}

// smallSettings keep three servers light on a shared machine.
func (s *Stack) smallSettings() []string {
	return []string{"shared_buffers = '64MB'", "unix_socket_directories = '" + s.Dir + "'", "max_connections = 100"}
}

func (s *Stack) startMonitor(ctx context.Context, t Timing) error {
	pgdata := filepath.Join(s.Dir, "monitor")
	if err := s.run(ctx, "pg_autoctl", "create", "monitor", "--pgctl", filepath.Join(s.bin, "pg_ctl"), "--pgdata", pgdata,
		"--pgport", strconv.Itoa(s.Ports[0]), "--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl"); err != nil {
		return err
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	settings := append(s.smallSettings(),
		"pgautofailover.health_check_period = "+ms(t.HealthCheckPeriod),
		"pgautofailover.health_check_timeout = "+ms(t.HealthCheckTimeout),
		"pgautofailover.health_check_max_retries = 1",
		"pgautofailover.health_check_retry_delay = "+ms(t.HealthCheckPeriod/2),
		"pgautofailover.node_considered_unhealthy_timeout = "+ms(t.UnhealthyTimeout),
		"pgautofailover.primary_demote_timeout = "+ms(t.DemoteTimeout))
	if err := s.conf(pgdata, settings...); err != nil {
		return err
	}
	if err := s.keep("monitor", "run", "--pgdata", pgdata); err != nil {
		return err
	}
	db, err := sql.Open("pgx", s.URL(s.Ports[0], "pg_auto_failover"))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	s.monitor = db
	return waitFor(ctx, time.Minute, func() error { return db.PingContext(ctx) })
}

// startNode creates a data node and runs its keeper. The first node's
// data directory is made here, so the small settings are in place before
// pg_autoctl starts it and are copied to the standby with its base backup.
func (s *Stack) startNode(ctx context.Context, name string, t Timing) error {
	pgdata := filepath.Join(s.Dir, name)
	if name == nodes[0] {
		if err := s.run(ctx, "initdb", "--pgdata", pgdata, "--auth", "trust", "--username", s.DBUser, "--encoding", "UTF8", "--no-instructions"); err != nil {
			return err
		}
		if err := s.conf(pgdata, s.smallSettings()...); err != nil {
			return err
		}
	} else if err := s.checkpoint(ctx); err != nil {
		return err
	}
	monitor := fmt.Sprintf("postgres://autoctl_node@127.0.0.1:%d/pg_auto_failover?sslmode=disable", s.Ports[0])
	if err := s.run(ctx, "pg_autoctl", "create", "postgres", "--pgctl", filepath.Join(s.bin, "pg_ctl"), "--pgdata", pgdata,
		"--pgport", strconv.Itoa(s.port(name)), "--pghost", "127.0.0.1", "--listen", "127.0.0.1", "--hostname", "127.0.0.1",
		"--name", name, "--dbname", "minipay", "--username", s.DBUser, "--monitor", monitor,
		"--auth", "trust", "--no-ssl"); err != nil {
		return err
	}
	secs := strconv.Itoa(int(t.NetworkPartitionTimeout.Seconds()))
	if err := s.run(ctx, "pg_autoctl", "config", "set", "--pgdata", pgdata, "timeout.network_partition_timeout", secs); err != nil {
		return err
	}
	if err := s.keep(name, "run", "--pgdata", pgdata); err != nil {
		return err
	}
	want := map[string]string{name: "single"}
	if name != nodes[0] {
		want = map[string]string{name: "secondary"}
	}
	if err := s.waitStates(ctx, 3*time.Minute, want); err != nil {
		return err
	}
	// create reported the state and stopped PostgreSQL; run starts it again.
	db, err := sql.Open("pgx", s.URL(s.port(name), "minipay"))
	if err != nil {
		return err
	}
	defer db.Close()
	return waitFor(ctx, time.Minute, func() error { return db.PingContext(ctx) })
}

// checkpoint makes the primary write its dirty pages now: the base
// backup a standby starts from waits for a checkpoint, which at its
// leisurely default pace takes minutes.
func (s *Stack) checkpoint(ctx context.Context) error {
	db, err := sql.Open("pgx", s.URL(s.port(nodes[0]), "minipay"))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `CHECKPOINT`)
	return err
}

// other is the data node that is not name.
func other(name string) string {
	if name == nodes[0] {
		return nodes[1]
	}
	return nodes[0]
}

// port is a data node's port.
func (s *Stack) port(name string) int {
	if name == nodes[1] {
		return s.Ports[2]
	}
	return s.Ports[1]
}

// URL is the superuser's URL of one server of the stack.
func (s *Stack) URL(port int, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", s.DBUser, port, db)
}

// DatabaseURL is minipay's URL: both data nodes, whichever takes writes.
func (s *Stack) DatabaseURL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d,127.0.0.1:%d/minipay?sslmode=disable&target_session_attrs=read-write&connect_timeout=2",
		s.DBUser, s.Ports[1], s.Ports[2])
}

// states are the nodes' reported states, where the monitor assigned the
// same (a node still on its way reports "name→goal").
func (s *Stack) states(ctx context.Context) (map[string]string, error) {
	rows, err := s.monitor.QueryContext(ctx, `SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	states := map[string]string{}
	for rows.Next() {
		var name, reported, goal string
		if err := rows.Scan(&name, &reported, &goal); err != nil {
			return nil, err
		}
		if states[name] = reported; goal != reported {
			states[name] = reported + "→" + goal
		}
	}
	return states, rows.Err()
}

// waitStates waits until every node named in want is in its state.
func (s *Stack) waitStates(ctx context.Context, limit time.Duration, want map[string]string) error {
	var last map[string]string
	err := waitFor(ctx, limit, func() error {
		states, err := s.states(ctx)
		if err != nil {
			return err
		}
		last = states
		for name, state := range want {
			if states[name] != state {
				return fmt.Errorf("%s is %q", name, states[name])
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %v (last seen %v): %w", want, last, err)
	}
	return nil
}

// Primary is the node the monitor has as primary.
func (s *Stack) Primary(ctx context.Context) (string, error) {
	states, err := s.states(ctx)
	if err != nil {
		return "", err
	}
	for name, state := range states {
		if state == "primary" || state == "wait_primary" {
			return name, nil
		}
	}
	return "", fmt.Errorf("no primary: %v", states)
}

// Kill SIGKILLs a node's keeper and its PostgreSQL at once: the machine
// is gone, nobody restarts the postmaster or tells the monitor.
func (s *Stack) Kill(name string) error {
	cmd := s.keepers[name]
	if cmd == nil || cmd.Process == nil {
		return fmt.Errorf("%s is not running", name)
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// WaitPromoted waits until a node other than old takes writes as the
// monitor's primary, and returns it.
func (s *Stack) WaitPromoted(ctx context.Context, old string, limit time.Duration) (string, error) {
	var promoted string
	err := waitFor(ctx, limit, func() error {
		states, err := s.states(ctx)
		if err != nil {
			return err
		}
		for name, state := range states {
			if name != old && (state == "wait_primary" || state == "primary") {
				promoted = name
				return nil
			}
		}
		return fmt.Errorf("not yet: %v", states)
	})
	return promoted, err
}

// Sync reports the synchronous replication settings of a node:
// synchronous_commit and synchronous_standby_names.
func (s *Stack) Sync(ctx context.Context, name string) (commit, standbys string, err error) {
	db, err := sql.Open("pgx", s.URL(s.port(name), "minipay"))
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT current_setting('synchronous_commit'), current_setting('synchronous_standby_names')`).Scan(&commit, &standbys)
	return commit, standbys, err
}

// Close stops every keeper (SIGTERM: pg_autoctl stops its PostgreSQL),
// kills any that linger, stops any PostgreSQL left behind, and removes
// the directory unless Keep.
func (s *Stack) Close() error {
	if s.monitor != nil {
		s.monitor.Close()
	}
	for _, cmd := range s.keepers {
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, cmd := range s.keepers {
		for cmd.ProcessState == nil && syscall.Kill(-cmd.Process.Pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	for _, name := range append([]string{"monitor"}, nodes...) {
		pgdata := filepath.Join(s.Dir, name)
		if _, err := os.Stat(filepath.Join(pgdata, "postmaster.pid")); err == nil {
			s.run(context.Background(), "pg_ctl", "stop", "--pgdata", pgdata, "--mode", "immediate")
		}
	}
	if c, ok := s.log.(io.Closer); ok {
		c.Close()
	}
	if s.Dir == "" || s.Keep {
		return nil
	}
	return os.RemoveAll(s.Dir)
}

// waitFor calls try until it succeeds, limit passes or ctx ends.
func waitFor(ctx context.Context, limit time.Duration, try func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := try()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("gave up after %v: %w", limit, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// tails are the last lines of the stack's logs, for a setup that failed.
func (s *Stack) tails() string {
	var b strings.Builder
	for _, name := range append([]string{"stack", "monitor"}, nodes...) {
		data, err := os.ReadFile(filepath.Join(s.Dir, name+".log"))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		fmt.Fprintf(&b, "--- %s.log (last lines)\n%s\n", name, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}
