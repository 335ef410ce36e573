//go:build !unix

package reload

import "os"

// ownerOf is unknown on this platform.
func ownerOf(os.FileInfo) (int, bool) { return 0, false }
