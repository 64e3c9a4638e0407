package harness_test

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"go.uber.org/goleak"

	"github.com/starling-nats/starling/harness"
)

// binaryPathEnv makes the test binary print harness.BinaryPath's answer (and the
// file's inode) and exit, so
// a test can race several processes at it.
const binaryPathEnv = "STARLING_HARNESS_TEST_BINARY_PATH"

// Every server, process, proxy and client of these tests must be gone when they end.
func TestMain(m *testing.M) {
	if os.Getenv(binaryPathEnv) == "1" {
		path, err := harness.BinaryPath()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// The inode identifies the build this process was given, before any later
		// build could replace the file.
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(path, st.Ino)
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
