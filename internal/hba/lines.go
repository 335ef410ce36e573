package hba

import "strings"

// logicalLine is one line as PostgreSQL's tokenizer sees it, after line
// reading, NUL truncation and backslash continuation.
type logicalLine struct {
	num     int    // first physical line (1-based)
	text    string // without the line break
	nul     []int  // physical lines whose text a NUL byte cut short
	joined  []int  // physical lines read into this one because a NUL swallowed the line break before them (14+)
	tooLong bool   // PostgreSQL 13: longer than its line buffer
}

// PostgreSQL 13 reads pg_hba.conf lines into fixed buffers (hba.c MAX_LINE
// 20480, MAX_TOKEN 10240): fgets() reads at most MAX_LINE-1 bytes, a line
// whose length (line break included) reaches that is an error ("authentication
// file line too long") and its remainder is read as the next line; a longer
// token is an error too. 14+ has no limit. The token limit is applied one
// byte early, because a closing quote also needs a free byte.
const (
	pg13MaxLine  = 20480
	pg13MaxToken = 10240
)

// physReader is C's fgets() over content.
type physReader struct {
	s   string
	pos int
}

// fgets returns up to n-1 bytes, ending after the first '\n'; ok is false
// at end of input.
func (r *physReader) fgets(n int) (string, bool) {
	if r.pos >= len(r.s) || n <= 1 {
		return "", false
	}
	end := r.pos + n - 1
	if end > len(r.s) {
		end = len(r.s)
	}
	if i := strings.IndexByte(r.s[r.pos:end], '\n'); i >= 0 {
		end = r.pos + i + 1
	}
	chunk := r.s[r.pos:end]
	r.pos = end
	return chunk, true
}

// cstr is what C string functions see of a chunk: the text before a NUL.
func cstr(s string) (string, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i], true
	}
	return s, false
}

// stripCRLF is pg_strip_crlf: trailing '\n' and '\r' removed.
func stripCRLF(s string) string { return strings.TrimRight(s, "\r\n") }

// readLines reads content into logical lines exactly as PostgreSQL major v
// does (hba.c tokenize_auth_file / tokenize_file), including what C string
// handling does with a NUL byte:
//
//   - 13: fgets() into a MAX_LINE buffer; the text after a NUL is ignored;
//     a line that fills the buffer is "too long" and its remainder is the
//     next line; no continuation.
//   - 14+: pg_get_line_append() appends fgets() chunks to a growing buffer
//     until the appended text ends with '\n'; since the length is taken with
//     strlen(), a NUL drops the rest of its physical line INCLUDING the line
//     break, so the next physical line is joined to the text before the NUL.
//     A line ending in a backslash continues on the next line.
func readLines(content string, v int) []logicalLine {
	r := &physReader{s: content}
	phys := 0 // physical lines started so far
	// lineOf returns the physical line number of the chunk starting at the
	// reader's position, counting line breaks.
	var out []logicalLine
	if v < 14 {
		for {
			start := r.pos
			chunk, ok := r.fgets(pg13MaxLine)
			if !ok {
				return out
			}
			if start == 0 || content[start-1] == '\n' {
				phys++
			}
			vis, hadNUL := cstr(chunk)
			ll := logicalLine{num: phys, tooLong: len(vis) == pg13MaxLine-1}
			if hadNUL {
				ll.nul = []int{phys}
			}
			ll.text = stripCRLF(vis)
			out = append(out, ll)
		}
	}
	maxlen := 1024 // initStringInfo, kept across lines (resetStringInfo does not shrink)
	enlarge := func(length, needed int) {
		needed += length + 1
		for needed > maxlen {
			maxlen *= 2
		}
	}
	for {
		var buf strings.Builder
		var ll logicalLine
		read := false
		for {
			// pg_get_line_append: append chunks until the appended text
			// ends with a line break.
			orig := buf.Len()
			got := false
			for call := 0; ; call++ {
				start := r.pos
				chunk, ok := r.fgets(maxlen - buf.Len())
				if !ok {
					break
				}
				if start == 0 || content[start-1] == '\n' {
					phys++
					switch {
					case !read:
						ll.num = phys
					case call > 0:
						// Still in the same call: the previous physical
						// line's break was behind a NUL.
						ll.joined = append(ll.joined, phys)
					}
				}
				read = true
				vis, hadNUL := cstr(chunk)
				if hadNUL {
					ll.nul = append(ll.nul, phys)
				}
				buf.WriteString(vis)
				if buf.Len() > orig && strings.HasSuffix(buf.String(), "\n") {
					got = true
					break
				}
				enlarge(buf.Len(), 128)
			}
			if !got && buf.Len() > orig {
				got = true // no line break at the end of the file, but data
			}
			if !got {
				break
			}
			text := stripCRLF(buf.String())
			buf.Reset()
			if strings.HasSuffix(text, `\`) {
				buf.WriteString(text[:len(text)-1])
				continue
			}
			buf.WriteString(text)
			break
		}
		if !read {
			return out
		}
		ll.text = buf.String()
		out = append(out, ll)
	}
}
