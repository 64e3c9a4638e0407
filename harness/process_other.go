//go:build !linux && !darwin

package harness

import "errors"

var errNoProcessMode = errors.New("harness: process mode (WithProcess) needs Linux or macOS")

func newProcess(file, logFile string, lay *layout) (engine, error) { return nil, errNoProcessMode }

func lockFile(path string) (func(), error) { return nil, errNoProcessMode }
