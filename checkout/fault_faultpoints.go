//go:build faultpoints

package checkout

import (
	"fmt"
	"os"
	"syscall"
)

// fault kills the process with SIGKILL when KPCHECKOUT_FAULT names this point: the crash tests
// build with -tags faultpoints to die exactly between KakaoPay's answer and our commit.
func fault(name string) {
	if os.Getenv("KPCHECKOUT_FAULT") == name {
		fmt.Fprintln(os.Stderr, "fault point reached:", name)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}
