package pgconf

import (
	"errors"
	"fmt"
	"strings"
)

// Quote renders s as a postgresql.conf string literal, the way the server's
// configuration scanner (guc-file.l: STRING = '([^'\\\n]|\\.|”)*', then
// DeescapeQuotedString) reads it back: a quote is doubled, a backslash is
// doubled, \b \f \n \r \t are written as escapes and any other control byte
// (and DEL) as a three-digit octal escape. Bytes >= 0x80 are written as they
// are. A NUL byte cannot be carried (the server uses C strings): error.
func Quote(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", errors.New("a postgresql.conf value cannot contain a NUL byte")
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}

// Unquote reads a string literal as the server does (the inverse of Quote,
// and of any other literal the scanner accepts).
func Unquote(q string) (string, error) {
	if len(q) < 2 || q[0] != '\'' || q[len(q)-1] != '\'' {
		return "", errors.New("not a single-quoted postgresql.conf string")
	}
	in := q[1 : len(q)-1]
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch c {
		case '\n':
			return "", errors.New("raw line break in a quoted string")
		case '\'':
			if i+1 >= len(in) || in[i+1] != '\'' {
				return "", errors.New("lone quote inside a quoted string")
			}
			b.WriteByte('\'')
			i++
		case '\\':
			if i+1 >= len(in) || in[i+1] == '\n' {
				return "", errors.New("backslash at the end of a quoted string")
			}
			i++
			switch e := in[i]; e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(e - '0')
				for k := 0; k < 2 && i+1 < len(in) && in[i+1] >= '0' && in[i+1] <= '7'; k++ {
					i++
					v = v*8 + int(in[i]-'0')
				}
				if v&0xff == 0 {
					return "", errors.New("octal escape for NUL")
				}
				b.WriteByte(byte(v))
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
