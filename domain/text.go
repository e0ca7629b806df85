package domain

import (
	"net"
	"strings"
	"unicode/utf8"
)

// IsControl reports whether r is an ASCII control character, which no stored text may hold.
func IsControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Truncate cuts s to at most n characters.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// LoopbackHost reports whether host is this computer: localhost (in any case) or a loopback
// address.
func LoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MaxYearsAhead bounds how far ahead a date given in a request may be: a far date (past year
// 9999 in UTC) can be neither shown nor answered as RFC 3339.
const MaxYearsAhead = 10
