package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
)

// Problems from the domain packages must land on the attribute they are
// about, including list elements and option keys.
func TestProblemPaths(t *testing.T) {
	base := path.Root("rules").AtListIndex(3)
	for field, want := range map[string]path.Path{
		"method":                  base.AtName("method"),
		"databases[2]":            base.AtName("databases").AtListIndex(2),
		"options.ldapserver":      base.AtName("options").AtMapKey("ldapserver"),
		"options.oauth.issuer":    base.AtName("options").AtMapKey("oauth.issuer"),
		"mappings[1].system_user": base.AtName("mappings").AtListIndex(1).AtName("system_user"),
		"":                        base,
	} {
		if got := problemPath(base, field); !got.Equal(want) {
			t.Errorf("problemPath(%q) = %s, want %s", field, got, want)
		}
	}
	for field, want := range map[string]path.Path{
		"users[0]":                  path.Root("users").AtListIndex(0),
		"options.radiusservers":     path.Root("options").AtMapKey("radiusservers"),
		"mappings[2].database_user": path.Root("mappings").AtListIndex(2).AtName("database_user"),
	} {
		if got := rootPath(field); !got.Equal(want) {
			t.Errorf("rootPath(%q) = %s, want %s", field, got, want)
		}
	}
}

func TestHumanHours(t *testing.T) {
	for h, want := range map[int64]string{87600: "10 years", 48: "2 days", 5: "5 hours"} {
		if got := humanHours(h); got != want {
			t.Errorf("humanHours(%d) = %q, want %q", h, got, want)
		}
	}
}
