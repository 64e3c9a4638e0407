package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
)

// serverModule is the module whose main package is the nats-server binary.
const serverModule = "github.com/nats-io/nats-server/v2"

// BinaryEnv names an environment variable that, when set, is the path of the
// nats-server binary process mode runs instead of building one.
const BinaryEnv = "STARLING_NATS_SERVER"

var binary struct {
	sync.Mutex
	path string
}

// BinaryPath returns the nats-server binary that process mode (WithProcess) runs: the
// file named by $STARLING_NATS_SERVER if set, else
// <os.UserCacheDir()>/starling/nats-server-<version>, built on first use with
// `go build` from the nats-server module version this program was built with. The
// build runs once per version and machine: later runs reuse the file, and test
// binaries racing to build it wait for each other (a file lock, a build to a
// temporary file and an atomic rename). The first build takes a while (tens of seconds
// on a slow machine); later calls return at once.
func BinaryPath() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		return p, nil
	}
	binary.Lock()
	defer binary.Unlock()
	if binary.path != "" {
		return binary.path, nil
	}
	version, err := serverVersion()
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("harness: no cache directory for the nats-server binary: %w", err)
	}
	dir := filepath.Join(cache, "starling")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	bin := filepath.Join(dir, "nats-server-"+version)
	if isExecutable(bin) {
		binary.path = bin
		return bin, nil
	}
	unlock, err := lockFile(bin + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if !isExecutable(bin) { // another test binary may have built it while we waited
		if err := buildServer(dir, bin, version); err != nil {
			return "", err
		}
	}
	binary.path = bin
	return bin, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// serverVersion names the nats-server module this program was built with, as a file
// name part: its version, or a hash of the replacement when go.mod replaces it.
func serverVersion() (string, error) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path != serverModule {
				continue
			}
			if r := d.Replace; r != nil {
				sum := sha256.Sum256([]byte(r.Path + "@" + r.Version + "@" + r.Sum))
				return safeName(d.Version) + "-replaced-" + hex.EncodeToString(sum[:6]), nil
			}
			if d.Version != "" && d.Version != "(devel)" {
				return safeName(d.Version), nil
			}
		}
	}
	out, err := exec.Command(goTool(), "list", "-m", "-f", "{{.Version}}", serverModule).Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return safeName(v), nil
	}
	return "", fmt.Errorf("harness: cannot tell which nats-server version to build (not in this program's build info, and `go list -m %s` failed: %v)", serverModule, err)
}

func safeName(v string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' || r == ':' {
			return '_'
		}
		return r
	}, v)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}

// buildServer builds the nats-server binary into bin through a temporary file in dir.
// It first builds in the current module (a test runs in its package's directory, whose
// module requires nats-server, so the go.sum there pins every dependency); when that
// fails (a program run outside its module), it builds in a scratch module that requires
// the version, which needs the module cache or the module proxy.
func buildServer(dir, bin, version string) error {
	tmp, err := os.CreateTemp(dir, "nats-server-build-*")
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	// No -trimpath: the build then reuses the packages the test binary compiled.
	cmd := exec.Command(goTool(), "build", "-o", tmp.Name(), serverModule)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if !strings.Contains(version, "-replaced-") {
			out2, err2 := buildInScratchModule(dir, tmp.Name(), version)
			if err2 == nil {
				return os.Rename(tmp.Name(), bin)
			}
			out = append(append(out, "\nscratch module build:\n"...), out2...)
		}
		return fmt.Errorf("harness: building nats-server %s: %w\n%s", version, err, out)
	}
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	return nil
}

func buildInScratchModule(dir, out, version string) ([]byte, error) {
	mod, err := os.MkdirTemp(dir, "build-module-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(mod)
	gomod := fmt.Sprintf("module starlingharnessbuild\n\ngo 1.22\n\nrequire %s %s\n", serverModule, version)
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(goTool(), "build", "-mod=mod", "-o", out, serverModule)
	cmd.Dir = mod
	// The caller's GOFLAGS (a -modfile, say) belong to its own module, not this one.
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	return cmd.CombinedOutput()
}
