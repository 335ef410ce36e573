//go:build unix

package localfiles

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Supported reports whether this platform can write file sets.
const Supported = true

// dir is an open directory reached without following any symbolic link.
// Everything below it is done relative to its descriptor (openat, renameat,
// unlinkat), so replacing a parent directory by a symlink after the walk
// cannot redirect a write.
type dir struct {
	fd   int
	path string // absolute, clean; for messages
	subs map[string]*dir
}

func (d *dir) close() {
	for _, s := range d.subs {
		s.close()
	}
	_ = unix.Close(d.fd)
}

// PathError is a problem with the directory or a file's place in it: it
// does not exist, is a symbolic link, is not a directory, cannot be
// written. Nothing was changed when Apply returns one.
type PathError struct {
	Path string
	Msg  string
}

func (e *PathError) Error() string { return e.Path + ": " + e.Msg }

// IsNotExist reports whether err says the directory (or a parent of a file)
// does not exist.
func IsNotExist(err error) bool {
	var pe *PathError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Msg, "does not exist")
}

// describeOpenErr turns the failure to open component name below parent
// into a readable PathError.
func describeOpenErr(parent int, parentPath, name string, err error) error {
	p := filepath.Join(parentPath, name)
	var st unix.Stat_t
	if serr := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil {
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			target := "?"
			buf := make([]byte, 4096)
			if n, rerr := unix.Readlinkat(parent, name, buf); rerr == nil {
				target = string(buf[:n])
			}
			return &PathError{Path: p, Msg: fmt.Sprintf("is a symbolic link (to %q); pgtls never follows symbolic links on the way to its files: give the real path", target)}
		case unix.S_IFDIR:
		default:
			return &PathError{Path: p, Msg: "is not a directory"}
		}
	}
	switch {
	case errors.Is(err, unix.ENOENT):
		return &PathError{Path: p, Msg: "does not exist (pgtls does not create directories: create it with the owner and mode the server expects)"}
	case errors.Is(err, unix.EACCES):
		return &PathError{Path: p, Msg: "permission denied"}
	case errors.Is(err, unix.ENOTDIR):
		return &PathError{Path: p, Msg: "is not a directory"}
	}
	return &PathError{Path: p, Msg: err.Error()}
}

// openDir opens p (made absolute against the working directory) component
// by component with O_NOFOLLOW, so a symbolic link anywhere in the path is
// refused.
func openDir(p string) (*dir, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, &PathError{Path: p, Msg: err.Error()}
	}
	fd, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &PathError{Path: "/", Msg: err.Error()}
	}
	cur := "/"
	parts := strings.Split(strings.TrimPrefix(abs, "/"), "/")
	if abs == "/" {
		parts = nil
	}
	for i, c := range parts {
		flags := unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
		if i < len(parts)-1 {
			flags |= walkFlag // search permission is enough on the way
		} else {
			flags |= unix.O_RDONLY // the last one is read (cleanup) and fsynced
		}
		nfd, err := unix.Openat(fd, c, flags, 0)
		if err != nil {
			e := describeOpenErr(fd, cur, c, err)
			_ = unix.Close(fd)
			return nil, e
		}
		_ = unix.Close(fd)
		fd = nfd
		cur = filepath.Join(cur, c)
	}
	return &dir{fd: fd, path: abs, subs: map[string]*dir{}}, nil
}

// parent returns the open directory holding name and name's last component.
func (d *dir) parent(name string) (*dir, string, error) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return d, name, nil
	}
	cur := d
	for _, c := range strings.Split(name[:i], "/") {
		if s, ok := cur.subs[c]; ok {
			cur = s
			continue
		}
		fd, err := unix.Openat(cur.fd, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, "", describeOpenErr(cur.fd, cur.path, c, err)
		}
		s := &dir{fd: fd, path: filepath.Join(cur.path, c), subs: map[string]*dir{}}
		cur.subs[c] = s
		cur = s
	}
	return cur, name[i+1:], nil
}

// current is what is at a name now.
type current struct {
	exists  bool
	regular bool
	typ     string // for messages when not regular
	content []byte // only when read
	sum     string
	mode    fs.FileMode
	uid     int
	gid     int
}

func typeName(m uint32) string {
	switch m & unix.S_IFMT {
	case unix.S_IFLNK:
		return "a symbolic link"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "a device"
	}
	return "not a regular file"
}

// look reads what is at base in p without following a symlink. With keep,
// the content is returned too (for a backup); otherwise only its hash.
func look(p *dir, base string, keep bool) (current, error) {
	var c current
	var pre unix.Stat_t
	switch err := unix.Fstatat(p.fd, base, &pre, unix.AT_SYMLINK_NOFOLLOW); {
	case errors.Is(err, unix.ENOENT):
		return c, nil
	case err != nil:
		return c, &PathError{Path: filepath.Join(p.path, base), Msg: "cannot be examined: " + err.Error()}
	}
	c.exists = true
	c.mode, c.uid, c.gid = fs.FileMode(pre.Mode&0o7777), int(pre.Uid), int(pre.Gid)
	if pre.Mode&unix.S_IFMT != unix.S_IFREG {
		// Never opened: opening a device or a FIFO can have effects.
		c.typ = typeName(uint32(pre.Mode))
		return c, nil
	}
	fd, err := unix.Openat(p.fd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return c, &PathError{Path: filepath.Join(p.path, base), Msg: "cannot be read: " + err.Error()}
	}
	f := os.NewFile(uintptr(fd), filepath.Join(p.path, base))
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return c, &PathError{Path: f.Name(), Msg: err.Error()}
	}
	if st.Dev != pre.Dev || st.Ino != pre.Ino || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return c, &PathError{Path: f.Name(), Msg: "changed while being read; try again"}
	}
	c.mode, c.uid, c.gid = fs.FileMode(st.Mode&0o7777), int(st.Uid), int(st.Gid)
	c.regular = true
	h := sha256.New()
	if keep {
		b, err := io.ReadAll(f)
		if err != nil {
			return c, &PathError{Path: f.Name(), Msg: "cannot be read: " + err.Error()}
		}
		c.content = b
		h.Write(b)
	} else if _, err := io.Copy(h, f); err != nil {
		return c, &PathError{Path: f.Name(), Msg: "cannot be read: " + err.Error()}
	}
	c.sum = hex.EncodeToString(h.Sum(nil))
	return c, nil
}

// Observed is what Inspect found at one name. It never holds content.
type Observed struct {
	Name    string
	Exists  bool
	Regular bool   // a regular file (only then SHA256 is set)
	Type    string // what it is when it exists but is not a regular file
	SHA256  string // lower-case hex of the content
	Mode    fs.FileMode
	UID     int
	GID     int
	// Problem says why the name could not be looked at (the directory is
	// missing or has become a symlink, a parent is not a directory, ...).
	Problem string
}

// Inspect reports what is at each name below dirPath, for drift detection.
// A missing directory or one reached through a symbolic link is not an
// error: every name is then reported with Problem set.
func Inspect(dirPath string, names []string) ([]Observed, error) {
	out := make([]Observed, len(names))
	for i, n := range names {
		out[i].Name = n
		if err := ValidateName(n); err != nil {
			return nil, fmt.Errorf("file %q: name %w", n, err)
		}
	}
	d, err := openDir(dirPath)
	if err != nil {
		for i := range out {
			out[i].Problem = err.Error()
		}
		return out, nil
	}
	defer d.close()
	for i, n := range names {
		p, base, err := d.parent(n)
		if err != nil {
			out[i].Problem = err.Error()
			continue
		}
		c, err := look(p, base, false)
		if err != nil {
			out[i].Problem = err.Error()
			continue
		}
		out[i].Exists, out[i].Regular, out[i].Type = c.exists, c.regular, c.typ
		out[i].SHA256, out[i].Mode, out[i].UID, out[i].GID = c.sum, c.mode, c.uid, c.gid
	}
	return out, nil
}

// SHA256 is the digest Inspect reports for content.
func SHA256(content []byte) string { return sha256Hex(content) }

// want is one file to write, resolved.
type want struct {
	f        File
	p        *dir
	base     string
	uid, gid int // -1: leave as created
	prev     current
	tmp      string
}

// saved is what stood at a name before a Change.
type saved struct {
	name string
	prev current
}

// Change is the result of Apply: what it wrote and removed, and what stood
// there before, so Undo can put it back.
type Change struct {
	// Written lists the names whose content, mode or owner was replaced or
	// created, in the order of the Spec; Removed the names deleted.
	Written, Removed []string
	// Warnings are things Apply chose not to do (a name to remove that
	// had become a symlink, a directory, ...).
	Warnings []string

	dirPath string
	saved   []saved
}

// Apply makes every file of s exist with its content, mode and owner, and
// removes the regular files named in remove (names a previous Apply wrote
// that are no longer wanted). Files that already match are not touched.
//
// Each file is replaced atomically: its content goes to a temporary file in
// the same directory, which gets its owner and mode, is fsynced and renamed
// over the target; the directory is fsynced afterwards. A reader, or a crash
// at any point, sees the old file or the new one, never a partial one.
//
// All temporary files are prepared before the first rename, so invalid
// input, a missing or unwritable directory, a symlink on the way, an
// unknown owner or a failed chown leaves everything as it was. It returns
// ProblemsError for invalid input and *PathError for file-system refusals.
func Apply(s Spec, remove []string) (*Change, error) {
	if probs := s.Validate(OwnerIsRoot); len(probs) > 0 {
		return nil, ProblemsError(probs)
	}
	inSet := make(map[string]bool, len(s.Files))
	for _, f := range s.Files {
		inSet[f.Name] = true
	}
	var probs []Problem
	for _, n := range remove {
		if err := ValidateName(n); err != nil {
			probs = append(probs, Problem{File: n, Field: "name", Message: err.Error()})
		} else if inSet[n] {
			probs = append(probs, Problem{File: n, Field: "name", Message: "is both written and removed"})
		}
	}
	if len(probs) > 0 {
		return nil, ProblemsError(probs)
	}

	d, err := openDir(s.Dir)
	if err != nil {
		return nil, err
	}
	defer d.close()
	ch := &Change{dirPath: d.path}

	// 1. Resolve owners and look at what is there now.
	var ws []*want
	for _, f := range s.Files {
		w := &want{f: f, uid: -1, gid: -1}
		if f.Owner != "" {
			if w.uid, err = LookupUser(f.Owner); err != nil {
				return nil, ProblemsError{{File: f.Name, Field: "owner", Value: f.Owner, Message: err.Error()}}
			}
		}
		if f.Group != "" {
			if w.gid, err = LookupGroup(f.Group); err != nil {
				return nil, ProblemsError{{File: f.Name, Field: "group", Value: f.Group, Message: err.Error()}}
			}
		}
		if w.p, w.base, err = d.parent(f.Name); err != nil {
			return nil, err
		}
		if w.prev, err = look(w.p, w.base, true); err != nil {
			return nil, err
		}
		if w.prev.exists && !w.prev.regular {
			return nil, &PathError{Path: filepath.Join(w.p.path, w.base),
				Msg: fmt.Sprintf("is %s; pgtls only replaces regular files", w.prev.typ)}
		}
		if w.prev.exists && w.prev.sum == SHA256(f.Content) && w.prev.mode == f.Mode &&
			(w.uid < 0 || w.uid == w.prev.uid) && (w.gid < 0 || w.gid == w.prev.gid) {
			continue // already as wanted
		}
		ws = append(ws, w)
	}
	type rm struct {
		p    *dir
		base string
		name string
		prev current
	}
	var rms []rm
	for _, n := range remove {
		p, base, err := d.parent(n)
		if err != nil {
			if IsNotExist(err) {
				continue
			}
			return nil, err
		}
		c, err := look(p, base, true)
		if err != nil {
			return nil, err
		}
		switch {
		case !c.exists:
		case !c.regular:
			ch.Warnings = append(ch.Warnings, fmt.Sprintf("%s is %s now; pgtls wrote a regular file there and leaves this alone", filepath.Join(p.path, base), c.typ))
		default:
			rms = append(rms, rm{p: p, base: base, name: n, prev: c})
		}
	}

	// 2. Stage every temporary file; on any failure remove them all.
	staged := ws[:0:0]
	abort := func() {
		for _, w := range staged {
			_ = unix.Unlinkat(w.p.fd, w.tmp, 0)
		}
	}
	cleaned := map[*dir]bool{}
	for _, w := range ws {
		if !cleaned[w.p] {
			cleanTemps(w.p, ws)
			cleaned[w.p] = true
		}
		if err := stage(w); err != nil {
			abort()
			return nil, err
		}
		staged = append(staged, w)
	}

	// 3. Commit: rename each over its target, then remove.
	for i, w := range ws {
		if err := unix.Renameat(w.p.fd, w.tmp, w.p.fd, w.base); err != nil {
			// Put back the ones already renamed, drop the rest.
			for _, done := range ws[:i] {
				_ = restoreOne(done.p, done.base, done.prev)
			}
			for _, rest := range ws[i:] {
				_ = unix.Unlinkat(rest.p.fd, rest.tmp, 0)
			}
			return nil, &PathError{Path: filepath.Join(w.p.path, w.base), Msg: "rename failed: " + err.Error()}
		}
		ch.Written = append(ch.Written, w.f.Name)
		ch.saved = append(ch.saved, saved{name: w.f.Name, prev: w.prev})
	}
	for _, r := range rms {
		if err := unix.Unlinkat(r.p.fd, r.base, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			ch.Warnings = append(ch.Warnings, fmt.Sprintf("could not remove %s: %v", filepath.Join(r.p.path, r.base), err))
			continue
		}
		ch.Removed = append(ch.Removed, r.name)
		ch.saved = append(ch.saved, saved{name: r.name, prev: r.prev})
	}
	if err := syncDirs(d); err != nil {
		return ch, err
	}
	return ch, nil
}

// syncDirs fsyncs d and every subdirectory opened below it, so the renames
// and unlinks survive a crash.
func syncDirs(d *dir) error {
	if err := unix.Fsync(d.fd); err != nil && !errors.Is(err, unix.EINVAL) {
		return &PathError{Path: d.path, Msg: "fsync of the directory failed: " + err.Error()}
	}
	for _, s := range d.subs {
		if err := syncDirs(s); err != nil {
			return err
		}
	}
	return nil
}

// tempName is the temporary name used for base: a dot file carrying the
// target's name (cut to fit NAME_MAX), the marker and a random suffix.
func tempPrefix(base string) string {
	const room = maxComponent - 1 - len(tempMarker) - 16
	if len(base) > room {
		base = base[:room]
	}
	return "." + base + tempMarker
}

// cleanTemps removes temporary files a killed writer left for the names of
// ws that live in p (and only those).
func cleanTemps(p *dir, ws []*want) {
	prefixes := map[string]bool{}
	for _, w := range ws {
		if w.p == p {
			prefixes[tempPrefix(w.base)] = true
		}
	}
	fd, err := unix.Openat(p.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), p.path)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return
	}
	for _, n := range names {
		i := strings.Index(n, tempMarker)
		if i < 0 || !prefixes[n[:i+len(tempMarker)]] {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(p.fd, n, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
			_ = unix.Unlinkat(p.fd, n, 0)
		}
	}
}

// stage writes w's content to a new temporary file next to the target,
// with the wanted owner and mode, and fsyncs it.
func stage(w *want) error {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	w.tmp = tempPrefix(w.base) + hex.EncodeToString(rnd[:])
	target := filepath.Join(w.p.path, w.base)
	fd, err := unix.Openat(w.p.fd, w.tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS) {
			return &PathError{Path: w.p.path, Msg: "is not writable: " + err.Error()}
		}
		return &PathError{Path: target, Msg: "cannot create a temporary file next to it: " + err.Error()}
	}
	f := os.NewFile(uintptr(fd), filepath.Join(w.p.path, w.tmp))
	fail := func(what string, err error) error {
		f.Close()
		_ = unix.Unlinkat(w.p.fd, w.tmp, 0)
		return &PathError{Path: target, Msg: what + ": " + err.Error()}
	}
	if _, err := f.Write(w.f.Content); err != nil {
		return fail("write failed", err)
	}
	if w.uid >= 0 || w.gid >= 0 {
		if err := unix.Fchown(fd, w.uid, w.gid); err != nil {
			who := strings.Trim(w.f.Owner+":"+w.f.Group, ":")
			return fail("cannot give the file to "+who+" (only root can give files away)", err)
		}
	}
	// After the chown, which may clear mode bits.
	if err := unix.Fchmod(fd, uint32(w.f.Mode.Perm())); err != nil {
		return fail("chmod failed", err)
	}
	if err := f.Sync(); err != nil {
		return fail("fsync failed", err)
	}
	if err := f.Close(); err != nil {
		_ = unix.Unlinkat(w.p.fd, w.tmp, 0)
		return &PathError{Path: target, Msg: "close failed: " + err.Error()}
	}
	return nil
}

// restoreOne puts prev back at base (or removes base when nothing was
// there), atomically like Apply.
func restoreOne(p *dir, base string, prev current) error {
	if !prev.exists {
		if err := unix.Unlinkat(p.fd, base, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return &PathError{Path: filepath.Join(p.path, base), Msg: "cannot remove: " + err.Error()}
		}
		return nil
	}
	w := &want{f: File{Name: base, Content: prev.content, Mode: prev.mode}, p: p, base: base, uid: prev.uid, gid: prev.gid}
	if err := stage(w); err != nil {
		return err
	}
	if err := unix.Renameat(p.fd, w.tmp, p.fd, base); err != nil {
		_ = unix.Unlinkat(p.fd, w.tmp, 0)
		return &PathError{Path: filepath.Join(p.path, base), Msg: "rename failed: " + err.Error()}
	}
	return nil
}

// Previous returns the content that stood at name before Apply replaced or
// removed it (ok is false when name was not changed, or nothing was there).
func (c *Change) Previous(name string) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	for _, s := range c.saved {
		if s.name == name && s.prev.exists && s.prev.regular {
			return s.prev.content, true
		}
	}
	return nil, false
}

// Undo puts back what stood at every name Apply wrote or removed: the old
// content, mode and owner, or nothing where there was nothing. Each file is
// replaced atomically, as in Apply.
func (c *Change) Undo() error {
	if c == nil || len(c.saved) == 0 {
		return nil
	}
	d, err := openDir(c.dirPath)
	if err != nil {
		return err
	}
	defer d.close()
	var errs []error
	for i := len(c.saved) - 1; i >= 0; i-- {
		s := c.saved[i]
		p, base, err := d.parent(s.name)
		if err == nil {
			err = restoreOne(p, base, s.prev)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := syncDirs(d); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Remove deletes the regular files named below dirPath (what a file set
// wrote) and nothing else: missing files and a missing directory are fine,
// and a name that is no longer a regular file is left alone with a
// warning.
func Remove(dirPath string, names []string) (removed, warnings []string, err error) {
	for _, n := range names {
		if err := ValidateName(n); err != nil {
			return nil, nil, fmt.Errorf("file %q: name %w", n, err)
		}
	}
	d, err := openDir(dirPath)
	if err != nil {
		if IsNotExist(err) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	defer d.close()
	for _, n := range names {
		p, base, err := d.parent(n)
		if err != nil {
			if IsNotExist(err) {
				continue
			}
			return removed, warnings, err
		}
		var st unix.Stat_t
		switch err := unix.Fstatat(p.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); {
		case errors.Is(err, unix.ENOENT):
			continue
		case err != nil:
			return removed, warnings, &PathError{Path: filepath.Join(p.path, base), Msg: err.Error()}
		case st.Mode&unix.S_IFMT != unix.S_IFREG:
			warnings = append(warnings, fmt.Sprintf("%s is %s now; pgtls wrote a regular file there and leaves this alone", filepath.Join(p.path, base), typeName(uint32(st.Mode))))
			continue
		}
		if err := unix.Unlinkat(p.fd, base, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return removed, warnings, &PathError{Path: filepath.Join(p.path, base), Msg: "cannot remove: " + err.Error()}
		}
		removed = append(removed, n)
	}
	return removed, warnings, syncDirs(d)
}
