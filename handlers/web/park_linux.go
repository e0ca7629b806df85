package web

import "golang.org/x/sys/unix"

// fdClosed reports whether the client closed (or shut down the sending side of) the socket fd.
// poll's POLLRDHUP sees the client's end of stream even behind bytes not read yet: a TLS client's
// close_notify alert, or a request pipelined behind the parked one.
func fdClosed(fd uintptr) bool {
	fds := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
	n, err := unix.Poll(fds[:], 0)
	return err == nil && n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0
}
