//go:build (desktop || dev) && linux

package app

/*
#include <signal.h>
#include <stddef.h>

// on_stack makes sure the handler of signum runs on the alternate signal
// stack (SA_ONSTACK), which Go's handlers need on the threads WebKit
// made; 1 when it had to be set, 0 when it was, -1 on error.
static int on_stack(int signum) {
	struct sigaction sa;
	if (sigaction(signum, NULL, &sa) != 0) {
		return -1;
	}
	if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_ONSTACK)) {
		return 0;
	}
	sa.sa_flags |= SA_ONSTACK;
	return sigaction(signum, &sa, NULL) == 0 ? 1 : -1;
}
*/
import "C"

import (
	"fmt"
	"syscall"
)

// crashSignals are the signals a Go runtime error arrives on.
var crashSignals = []syscall.Signal{syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGILL, syscall.SIGABRT, syscall.SIGTRAP}

// restoreOnStack sets SA_ONSTACK on the crash signals' handlers where
// another library removed it, and names those it fixed.
func restoreOnStack() ([]string, error) {
	var fixed []string
	for _, s := range crashSignals {
		switch C.on_stack(C.int(s)) {
		case 1:
			fixed = append(fixed, s.String())
		case -1:
			return fixed, fmt.Errorf("sigaction(%s) failed", s)
		}
	}
	return fixed, nil
}
