//go:build unix

package localfiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary re-executes itself for two jobs: as an unprivileged user
// (to meet "permission denied" as root cannot), and as a writer that the
// kill test SIGKILLs mid-write.
const childEnv = "PGTLS_LOCALFILES_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "apply":
		// Apply the JSON Spec on stdin and print the error (or nothing).
		var s Spec
		if err := json.NewDecoder(os.Stdin).Decode(&s); err != nil {
			fmt.Print("decode: ", err)
			os.Exit(2)
		}
		if _, err := Apply(s, nil); err != nil {
			fmt.Print(err.Error())
		}
		os.Exit(0)
	case "writer", "naive":
		// Alternate two contents at one name forever: with Apply, or
		// (the control) with a plain truncate-and-write.
		dir := os.Getenv("PGTLS_LOCALFILES_DIR")
		a, b := bigContent('A'), bigContent('B')
		fmt.Println("ready")
		for i := 0; ; i++ {
			c := a
			if i%2 == 1 {
				c = b
			}
			if os.Getenv(childEnv) == "naive" {
				if err := os.WriteFile(filepath.Join(dir, "server.key"), c, 0o600); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				continue
			}
			if _, err := Apply(Spec{Dir: dir, Files: []File{{Name: "server.key", Content: c, Mode: 0o600, Kind: PrivateKey}}}, nil); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(3)
			}
		}
	}
}

// bigContent is a 4 MiB "key": large enough that a kill often lands while
// it is being written or fsynced.
func bigContent(c byte) []byte {
	head := []byte("-----BEGIN PRIVATE KEY-----\n")
	body := bytes.Repeat([]byte{c}, 4<<20)
	return append(head, body...)
}

func mustApply(t *testing.T, s Spec, remove ...string) *Change {
	t.Helper()
	ch, err := Apply(s, remove)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return ch
}

func statOf(t *testing.T, p string) (fs.FileMode, int, int) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fi.Mode(), int(st.Uid), int(st.Gid)
}

// listDir returns the names in d, sorted, to prove nothing else appeared.
func listDir(t *testing.T, d string) []string {
	t.Helper()
	es, err := os.ReadDir(d)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestApplyWritesContentModeAndOwner(t *testing.T) {
	d := t.TempDir()
	s := Spec{Dir: d, Files: []File{
		{Name: "server.crt", Content: []byte("cert\n"), Mode: 0o644},
		{Name: "server.key", Content: []byte(testKeyPEM), Mode: 0o600, Kind: PrivateKey},
		{Name: "userlist.txt", Content: []byte(`"u" "SCRAM-SHA-256$..."`), Mode: 0o640, Kind: Secret},
	}}
	ch := mustApply(t, s)
	if got := strings.Join(ch.Written, ","); got != "server.crt,server.key,userlist.txt" {
		t.Errorf("Written = %s", got)
	}
	for _, f := range s.Files {
		p := filepath.Join(d, f.Name)
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, f.Content) {
			t.Errorf("%s: content %q, %v", f.Name, b, err)
		}
		if m, _, _ := statOf(t, p); m != f.Mode {
			t.Errorf("%s: mode %v, want %v", f.Name, m, f.Mode)
		}
	}
	if got := listDir(t, d); strings.Join(got, ",") != "server.crt,server.key,userlist.txt" {
		t.Errorf("directory holds %v (temporary files left?)", got)
	}

	// Applying the same spec again touches nothing.
	before, _ := os.Stat(filepath.Join(d, "server.key"))
	time.Sleep(10 * time.Millisecond)
	ch = mustApply(t, s)
	if len(ch.Written) != 0 {
		t.Errorf("second Apply wrote %v", ch.Written)
	}
	after, _ := os.Stat(filepath.Join(d, "server.key"))
	if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) {
		t.Error("second Apply replaced an identical file")
	}

	// A mode change alone is applied.
	s.Files[2].Mode = 0o600
	ch = mustApply(t, s)
	if strings.Join(ch.Written, ",") != "userlist.txt" {
		t.Errorf("mode change wrote %v", ch.Written)
	}
	if m, _, _ := statOf(t, filepath.Join(d, "userlist.txt")); m != 0o600 {
		t.Errorf("mode %v after change", m)
	}
}

func TestApplyOwnerAndGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP: giving files to another user needs root; this test runs as uid " + strconv.Itoa(os.Geteuid()))
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Skip("SKIP: no OS user postgres on this machine (tools/ensure-system.sh creates it)")
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	d := t.TempDir()
	s := Spec{Dir: d, Files: []File{
		{Name: "server.key", Content: []byte(testKeyPEM), Mode: 0o600, Kind: PrivateKey, Owner: "postgres", Group: "postgres"},
		{Name: "root.key", Content: []byte(testKeyPEM), Mode: 0o640, Kind: PrivateKey, Owner: "0", Group: pg.Gid},
	}}
	mustApply(t, s)
	if m, u, g := statOf(t, filepath.Join(d, "server.key")); m != 0o600 || u != uid || g != gid {
		t.Errorf("server.key: %v %d:%d, want 0600 %d:%d", m, u, g, uid, gid)
	}
	if m, u, g := statOf(t, filepath.Join(d, "root.key")); m != 0o640 || u != 0 || g != gid {
		t.Errorf("root.key: %v %d:%d, want 0640 0:%d", m, u, g, gid)
	}
	// Ownership drift is corrected; a file with the right owner is kept.
	if err := os.Chown(filepath.Join(d, "server.key"), 0, 0); err != nil {
		t.Fatal(err)
	}
	ch := mustApply(t, s)
	if strings.Join(ch.Written, ",") != "server.key" {
		t.Errorf("owner drift: wrote %v", ch.Written)
	}
	if _, u, g := statOf(t, filepath.Join(d, "server.key")); u != uid || g != gid {
		t.Errorf("server.key owner %d:%d after repair", u, g)
	}
	// A 0640 key owned by postgres is refused before anything is written.
	bad := Spec{Dir: d, Files: []File{{Name: "new.key", Content: []byte(testKeyPEM), Mode: 0o640, Kind: PrivateKey, Owner: "postgres"}}}
	if _, err := Apply(bad, nil); err == nil || !strings.Contains(err.Error(), "0640 only when owned by root") {
		t.Errorf("postgres-owned 0640 key: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(d, "new.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("refused key was written")
	}
	// Unknown owner: refused, nothing written.
	bad = Spec{Dir: d, Files: []File{{Name: "x", Mode: 0o644, Owner: "no-such-user-pgtls"}}}
	if _, err := Apply(bad, nil); err == nil || !strings.Contains(err.Error(), `no such user "no-such-user-pgtls"`) {
		t.Errorf("unknown owner: %v", err)
	}
}

func TestApplyRefusesSymlinks(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "victim"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "victim"), filepath.Join(real, "server.key")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(real, "sub")); err != nil {
		t.Fatal(err)
	}
	key := []byte(testKeyPEM)
	for _, tc := range []struct {
		dir, name, want string
	}{
		{filepath.Join(base, "link"), "new.crt", "link: is a symbolic link"},
		{filepath.Join(base, "link", "."), "new.crt", "link: is a symbolic link"},
		{real, "server.key", "server.key: is a symbolic link; pgtls only replaces regular files"},
		{real, "sub/new.crt", "sub: is a symbolic link"},
		{filepath.Join(base, "missing"), "x", "missing: does not exist"},
		{filepath.Join(outside, "victim"), "x", "victim: is not a directory"},
	} {
		before := listDir(t, real)
		_, err := Apply(Spec{Dir: tc.dir, Files: []File{
			{Name: "ok.crt", Content: []byte("first file of the set"), Mode: 0o644},
			{Name: tc.name, Content: key, Mode: 0o600, Kind: PrivateKey},
		}}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("dir %s name %s: error %v, want %q", tc.dir, tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "MC4CAQ") {
			t.Errorf("error echoes key material: %v", err)
		}
		if after := listDir(t, real); strings.Join(after, ",") != strings.Join(before, ",") {
			t.Errorf("dir %s name %s: directory changed from %v to %v", tc.dir, tc.name, before, after)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "victim")); string(b) != "keep" {
		t.Errorf("the symlink target was written: %q", b)
	}
	if got := listDir(t, outside); strings.Join(got, ",") != "victim" {
		t.Errorf("outside holds %v", got)
	}
}

func TestApplyRefusesNonRegularTargets(t *testing.T) {
	d := t.TempDir()
	if err := os.Mkdir(filepath.Join(d, "server.crt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(d, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"server.crt", "fifo"} {
		if _, err := Apply(Spec{Dir: d, Files: []File{{Name: n, Mode: 0o644}}}, nil); err == nil || !strings.Contains(err.Error(), "only replaces regular files") {
			t.Errorf("%s: %v", n, err)
		}
	}
}

// runAsNobody applies s in a child process running as an unprivileged user
// and returns the error text it printed.
func runAsNobody(t *testing.T, s Spec) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIP: switching to an unprivileged user needs root")
	}
	nb, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("SKIP: no user nobody")
	}
	uid, _ := strconv.Atoi(nb.Uid)
	gid, _ := strconv.Atoi(nb.Gid)
	// The test binary lives in a 0700 build directory: give nobody a copy.
	exe := nobodyExecutable(t)
	js, _ := json.Marshal(s)
	cmd := exec.Command(exe)
	cmd.Env = []string{childEnv + "=apply", "PATH=/usr/bin:/bin"}
	cmd.Stdin = bytes.NewReader(js)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return string(out)
}

func nobodyExecutable(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	traversable(t, d)
	exe := filepath.Join(d, "localfiles.test")
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

// traversable makes d and its parents up to the test's temp root
// searchable by other users (t.TempDir makes them 0700).
func traversable(t *testing.T, d string) {
	t.Helper()
	for p := d; p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestApplyUnwritableDirectoryWritesNothing(t *testing.T) {
	d := t.TempDir()
	traversable(t, d)
	sub := filepath.Join(d, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// The first file could be written (sub is made writable for nobody
	// below); the second cannot: nothing at all may appear.
	if err := os.Chmod(sub, 0o777); err != nil {
		t.Fatal(err)
	}
	out := runAsNobody(t, Spec{Dir: d, Files: []File{
		{Name: "sub/a.crt", Content: []byte("a"), Mode: 0o644},
		{Name: "b.crt", Content: []byte("b"), Mode: 0o644},
	}})
	if !strings.Contains(out, d+": is not writable") {
		t.Errorf("unwritable directory: %q", out)
	}
	if got := listDir(t, sub); len(got) != 0 {
		t.Errorf("sub holds %v after a refused apply", got)
	}
	if got := listDir(t, d); strings.Join(got, ",") != "sub" {
		t.Errorf("dir holds %v after a refused apply", got)
	}
	// Giving a file away without root: refused, nothing written.
	out = runAsNobody(t, Spec{Dir: sub, Files: []File{
		{Name: "a.crt", Content: []byte("a"), Mode: 0o644},
		{Name: "b.key", Content: []byte(testKeyPEM), Mode: 0o640, Kind: PrivateKey, Owner: "root"},
	}})
	if !strings.Contains(out, "cannot give the file to root") {
		t.Errorf("chown as nobody: %q", out)
	}
	if got := listDir(t, sub); len(got) != 0 {
		t.Errorf("sub holds %v after a refused chown", got)
	}
}

func TestUndoRestoresPreviousFiles(t *testing.T) {
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, "pg_hba.conf"), []byte("old rules\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "gone.conf"), []byte("was here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	oldIno, _ := os.Stat(filepath.Join(d, "pg_hba.conf"))
	ch := mustApply(t, Spec{Dir: d, Files: []File{
		{Name: "pg_hba.conf", Content: []byte("new rules\n"), Mode: 0o600},
		{Name: "pg_ident.conf", Content: []byte("new map\n"), Mode: 0o600},
	}}, "gone.conf", "never-existed")
	if strings.Join(ch.Removed, ",") != "gone.conf" {
		t.Errorf("Removed = %v", ch.Removed)
	}
	if got := strings.Join(listDir(t, d), ","); got != "pg_hba.conf,pg_ident.conf" {
		t.Errorf("after Apply: %s", got)
	}
	if err := ch.Undo(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listDir(t, d), ","); got != "gone.conf,pg_hba.conf" {
		t.Errorf("after Undo: %s", got)
	}
	b, _ := os.ReadFile(filepath.Join(d, "pg_hba.conf"))
	if string(b) != "old rules\n" {
		t.Errorf("pg_hba.conf after Undo: %q", b)
	}
	if m, _, _ := statOf(t, filepath.Join(d, "pg_hba.conf")); m != 0o640 {
		t.Errorf("pg_hba.conf mode after Undo: %v", m)
	}
	if b, _ := os.ReadFile(filepath.Join(d, "gone.conf")); string(b) != "was here\n" {
		t.Errorf("gone.conf after Undo: %q", b)
	}
	newIno, _ := os.Stat(filepath.Join(d, "pg_hba.conf"))
	if os.SameFile(oldIno, newIno) {
		t.Error("Undo did not replace the file (expected an atomic rename)")
	}
}

func TestRemoveOnlyWhatWasWritten(t *testing.T) {
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, "postgresql.conf"), []byte("not ours\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustApply(t, Spec{Dir: d, Files: []File{
		{Name: "server.crt", Content: []byte("c"), Mode: 0o644},
		{Name: "server.key", Content: []byte(testKeyPEM), Mode: 0o600, Kind: PrivateKey},
		{Name: "root.crt", Content: []byte("r"), Mode: 0o644},
	}})
	// Someone replaced root.crt by a symlink: it is left alone.
	if err := os.Remove(filepath.Join(d, "root.crt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("postgresql.conf", filepath.Join(d, "root.crt")); err != nil {
		t.Fatal(err)
	}
	removed, warnings, err := Remove(d, []string{"server.crt", "server.key", "root.crt", "root.crl"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(removed, ",") != "server.crt,server.key" {
		t.Errorf("removed %v", removed)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "root.crt is a symbolic link now") {
		t.Errorf("warnings %v", warnings)
	}
	if got := strings.Join(listDir(t, d), ","); got != "postgresql.conf,root.crt" {
		t.Errorf("left %s", got)
	}
	// A directory that is gone is not an error.
	if _, _, err := Remove(filepath.Join(d, "nope"), []string{"a"}); err != nil {
		t.Errorf("Remove in a missing directory: %v", err)
	}
}

func TestInspectSeesDrift(t *testing.T) {
	d := t.TempDir()
	files := []File{
		{Name: "a.crt", Content: []byte("a"), Mode: 0o644},
		{Name: "b.key", Content: []byte(testKeyPEM), Mode: 0o600, Kind: PrivateKey},
		{Name: "c.crt", Content: []byte("c"), Mode: 0o644},
		{Name: "d.crt", Content: []byte("d"), Mode: 0o644},
		{Name: "e.crt", Content: []byte("e"), Mode: 0o644},
	}
	mustApply(t, Spec{Dir: d, Files: files})
	names := []string{"a.crt", "b.key", "c.crt", "d.crt", "e.crt"}
	obs, err := Inspect(d, names)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range obs {
		if !o.Regular || o.SHA256 != SHA256(files[i].Content) || o.Mode != files[i].Mode || o.UID != os.Geteuid() {
			t.Errorf("fresh %s: %+v", o.Name, o)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Remove(filepath.Join(d, "a.crt")))                             // deleted
	must(os.WriteFile(filepath.Join(d, "b.key"), []byte("edited"), 0o600)) // edited
	must(os.Chmod(filepath.Join(d, "c.crt"), 0o666))                       // chmod-ed
	must(os.Remove(filepath.Join(d, "e.crt")))                             // replaced by a symlink
	must(os.Symlink(filepath.Join(d, "d.crt"), filepath.Join(d, "e.crt"))) //
	if os.Geteuid() == 0 {
		must(os.Chown(filepath.Join(d, "d.crt"), 65534, 65534)) // chown-ed
	}
	obs, err = Inspect(d, names)
	if err != nil {
		t.Fatal(err)
	}
	if obs[0].Exists {
		t.Errorf("deleted file seen: %+v", obs[0])
	}
	if obs[1].SHA256 != SHA256([]byte("edited")) {
		t.Errorf("edit not seen: %+v", obs[1])
	}
	if obs[2].Mode != 0o666 {
		t.Errorf("chmod not seen: %+v", obs[2])
	}
	if os.Geteuid() == 0 && (obs[3].UID != 65534 || obs[3].GID != 65534) {
		t.Errorf("chown not seen: %+v", obs[3])
	}
	if !obs[4].Exists || obs[4].Regular || obs[4].Type != "a symbolic link" || obs[4].SHA256 != "" {
		t.Errorf("symlink not seen as such: %+v", obs[4])
	}
	// A directory that has become a symlink: every file reported with the reason.
	moved := d + "-moved"
	must(os.Rename(d, moved))
	must(os.Symlink(moved, d))
	obs, err = Inspect(d, names)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		if o.Exists || !strings.Contains(o.Problem, "is a symbolic link") {
			t.Errorf("through a symlinked directory: %+v", o)
		}
	}
	must(os.Remove(d))
	must(os.Rename(moved, d))
}

// killWriter runs the writer child in mode for rounds rounds, SIGKILLing it
// at varied moments, and returns how many times the target was neither
// version afterwards and how many kills left a temporary file.
func killWriter(t *testing.T, mode string, d string, rounds int) (torn, leftovers int) {
	t.Helper()
	a, b := bigContent('A'), bigContent('B')
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < rounds; i++ {
		cmd := exec.Command(exe)
		cmd.Env = []string{childEnv + "=" + mode, "PGTLS_LOCALFILES_DIR=" + d}
		stdout, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := stdout.Read(buf); err != nil {
			t.Fatalf("writer did not start: %v %s", err, stderr.String())
		}
		time.Sleep(time.Duration(5+(i*7)%40) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if stderr.Len() > 0 {
			t.Fatalf("writer failed: %s", stderr.String())
		}
		got, err := os.ReadFile(filepath.Join(d, "server.key"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if err == nil && !bytes.Equal(got, a) && !bytes.Equal(got, b) {
			torn++
			if mode == "writer" {
				t.Errorf("round %d: server.key is neither version (%d bytes, starts %q)", i, len(got), got[:min(len(got), 40)])
			}
		}
		for _, n := range listDir(t, d) {
			if strings.Contains(n, tempMarker) {
				leftovers++
				if !strings.HasPrefix(n, ".server.key"+tempMarker) {
					t.Errorf("unexpected temporary name %q", n)
				}
			}
		}
	}
	return torn, leftovers
}

// TestKillMidWriteLeavesOldOrNew SIGKILLs a process that keeps replacing a
// 4 MiB key with Apply, at varied moments, many times. After every kill the
// target is exactly one of the two contents, never a prefix or a mix; the
// temporary files a kill left behind are ours and the next Apply removes
// them. The control runs the same loop with a plain truncate-and-write and
// must see torn files, which shows the check can fail.
func TestKillMidWriteLeavesOldOrNew(t *testing.T) {
	const rounds = 40
	t.Run("control", func(t *testing.T) {
		torn, _ := killWriter(t, "naive", t.TempDir(), rounds)
		t.Logf("plain os.WriteFile: %d of %d kills left a torn file", torn, rounds)
		if torn == 0 {
			t.Errorf("the control never saw a torn file in %d rounds: the kill test cannot tell atomic from non-atomic writes", rounds)
		}
	})
	d := t.TempDir()
	torn, leftovers := killWriter(t, "writer", d, rounds)
	t.Logf("Apply: %d torn files; %d of %d kills landed while a temporary file existed", torn, leftovers, rounds)
	if leftovers == 0 {
		t.Errorf("no kill landed mid-write in %d rounds: the test did not exercise the window", rounds)
	}
	mustApply(t, Spec{Dir: d, Files: []File{{Name: "server.key", Content: []byte(testKeyPEM), Mode: 0o600, Kind: PrivateKey}}})
	if got := strings.Join(listDir(t, d), ","); got != "server.key" {
		t.Errorf("after a clean Apply the directory holds %s", got)
	}
}
