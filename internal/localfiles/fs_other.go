//go:build !unix

package localfiles

import (
	"errors"
	"io/fs"
)

// Supported reports whether this platform can write file sets.
const Supported = false

var errUnsupported = errors.New("writing file sets is supported on Unix systems only (it relies on openat, O_NOFOLLOW and POSIX modes and owners)")

// PathError is a problem with the directory or a file's place in it.
type PathError struct {
	Path string
	Msg  string
}

func (e *PathError) Error() string { return e.Path + ": " + e.Msg }

// IsNotExist reports whether err says the directory does not exist.
func IsNotExist(error) bool { return false }

// Observed is what Inspect found at one name.
type Observed struct {
	Name    string
	Exists  bool
	Regular bool
	Type    string
	SHA256  string
	Mode    fs.FileMode
	UID     int
	GID     int
	Problem string
}

// Inspect is not supported on this platform.
func Inspect(string, []string) ([]Observed, error) { return nil, errUnsupported }

// SHA256 is the digest Inspect reports for content.
func SHA256(content []byte) string { return sha256Hex(content) }

// Change is the result of Apply.
type Change struct {
	Written, Removed, Warnings []string
}

// Previous is never set on this platform.
func (c *Change) Previous(string) ([]byte, bool) { return nil, false }

// Undo is not supported on this platform.
func (c *Change) Undo() error { return errUnsupported }

// Apply is not supported on this platform.
func Apply(Spec, []string) (*Change, error) { return nil, errUnsupported }

// Remove is not supported on this platform.
func Remove(string, []string) ([]string, []string, error) { return nil, nil, errUnsupported }
