//go:build linux

package localfiles

import "golang.org/x/sys/unix"

// walkFlag opens the directories on the way with O_PATH: search permission
// is enough, read permission is not needed.
const walkFlag = unix.O_PATH
