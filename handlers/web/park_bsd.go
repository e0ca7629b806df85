//go:build unix && !linux

package web

import "syscall"

// fdClosed reports whether the client closed the socket fd: a read that would not wait finds the
// end of the stream. Bytes waiting to be read (a pipelined request, a TLS close_notify) count as
// a client still there, until the wait ends.
func fdClosed(fd uintptr) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return n == 0 && err == nil || err != nil && err != syscall.EAGAIN && err != syscall.EINTR
}
