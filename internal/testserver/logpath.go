package testserver

// LogPath is the file the server writes its log to (stderr; logging_collector
// is off). Tests that correlate many connection attempts with their log lines
// read it from an offset instead of re-reading the whole log with Log.
func (p *Postgres) LogPath() string { return p.proc.logPath }
