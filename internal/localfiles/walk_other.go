//go:build unix && !linux

package localfiles

import "golang.org/x/sys/unix"

// walkFlag: without O_PATH, directories on the way are opened for reading.
const walkFlag = unix.O_RDONLY
