//go:build faultpoints

package domain

import (
	"fmt"
	"os"
	"syscall"
)

// Fault kills the process with SIGKILL when KPCHECKOUT_FAULT names this point: the crash tests
// build with -tags faultpoints to die exactly between KakaoPay's answer and our commit.
func Fault(name string) {
	if os.Getenv("KPCHECKOUT_FAULT") == name {
		fmt.Fprintln(os.Stderr, "fault point reached:", name)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}
