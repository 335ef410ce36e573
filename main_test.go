package main

import (
	"maps"
	"testing"
)

func TestQuietLogEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"no logs asked: SDK and provider loggers off",
			map[string]string{},
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_PROVIDER_PGTLS": "OFF"}},
		{"TF_LOG set: untouched",
			map[string]string{"TF_LOG": "DEBUG"},
			map[string]string{"TF_LOG": "DEBUG"}},
		{"TF_LOG_PROVIDER set: untouched",
			map[string]string{"TF_LOG_PROVIDER": "TRACE"},
			map[string]string{"TF_LOG_PROVIDER": "TRACE"}},
		{"a logger the user set is kept",
			map[string]string{"TF_LOG_PROVIDER_PGTLS": "INFO", "TF_LOG": ""},
			map[string]string{"TF_LOG": "", "TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_PROVIDER_PGTLS": "INFO"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			set := func(k, v string) error { env[k] = v; return nil }
			if err := quietLogEnv(lookup, set); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(env, tc.want) {
				t.Errorf("env = %v, want %v", env, tc.want)
			}
		})
	}
}
