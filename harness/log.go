package harness

import (
	"fmt"
	"sync"
	"time"
)

// maxLogBytes bounds the server log the harness keeps; older lines are dropped first.
const maxLogBytes = 1 << 20

// logTailBytes is how much of a server's log a failed test prints.
const logTailBytes = 64 << 10

// logBuffer keeps an in-process server's log (it implements the nats-server Logger) so
// a failed test can print it, and remembers the first fatal error of a start.
type logBuffer struct {
	mu    sync.Mutex
	buf   []byte
	fatal error
}

func (l *logBuffer) write(level, format string, v ...any) {
	line := fmt.Sprintf("%s [%s] %s\n", time.Now().Format("15:04:05.000000"), level, fmt.Sprintf(format, v...))
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf)+len(line) > maxLogBytes {
		drop := len(l.buf) + len(line) - maxLogBytes/2
		if drop > len(l.buf) {
			drop = len(l.buf)
		}
		l.buf = append(l.buf[:0], l.buf[drop:]...)
	}
	l.buf = append(l.buf, line...)
}

func (l *logBuffer) Noticef(format string, v ...any) { l.write("INF", format, v...) }
func (l *logBuffer) Warnf(format string, v ...any)   { l.write("WRN", format, v...) }
func (l *logBuffer) Errorf(format string, v ...any)  { l.write("ERR", format, v...) }
func (l *logBuffer) Debugf(format string, v ...any)  { l.write("DBG", format, v...) }
func (l *logBuffer) Tracef(format string, v ...any)  { l.write("TRC", format, v...) }

// Fatalf records the error instead of exiting the test binary as the server's own
// logger would; the start in progress reports it.
func (l *logBuffer) Fatalf(format string, v ...any) {
	l.write("FTL", format, v...)
	l.mu.Lock()
	if l.fatal == nil {
		l.fatal = fmt.Errorf(format, v...)
	}
	l.mu.Unlock()
}

func (l *logBuffer) takeFatal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.fatal
	l.fatal = nil
	return err
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

// tail returns the last n bytes of s, starting at a line boundary when it cuts.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return "...\n" + s[i+1:]
		}
	}
	return s
}
