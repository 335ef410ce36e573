package localfiles

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
)

// LookupUser resolves a user name or numeric uid. A number is taken as is,
// even without an account (as chown does); "" is the current effective user.
func LookupUser(s string) (int, error) {
	if s == "" {
		return os.Geteuid(), nil
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return int(n), nil
	}
	u, err := user.Lookup(s)
	if err != nil {
		return 0, fmt.Errorf("no such user %q on this machine", s)
	}
	n, err := strconv.Atoi(u.Uid)
	if err != nil {
		return 0, fmt.Errorf("user %q has a non-numeric uid %q", s, u.Uid)
	}
	return n, nil
}

// LookupGroup resolves a group name or numeric gid; "" is the current
// effective group.
func LookupGroup(s string) (int, error) {
	if s == "" {
		return os.Getegid(), nil
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return int(n), nil
	}
	g, err := user.LookupGroup(s)
	if err != nil {
		return 0, fmt.Errorf("no such group %q on this machine", s)
	}
	n, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, fmt.Errorf("group %q has a non-numeric gid %q", s, g.Gid)
	}
	return n, nil
}

// OwnerIsRoot resolves owner (as in File.Owner) and reports whether it is
// uid 0. It is the isRoot argument Validate expects.
func OwnerIsRoot(owner string) (bool, error) {
	uid, err := LookupUser(owner)
	return uid == 0, err
}

// UserName returns the name of uid, or its number when it has no account.
func UserName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}

// GroupName returns the name of gid, or its number when it has no entry.
func GroupName(gid int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return g.Name
	}
	return strconv.Itoa(gid)
}
