//go:build !faultpoints

package domain

// Fault marks a place where a crash is tested; production builds compile it to nothing.
func Fault(string) {}
