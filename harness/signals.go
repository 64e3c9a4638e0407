package harness

import (
	"errors"
	"fmt"
)

// signaler is what process mode adds to an engine.
type signaler interface {
	kill() error
	freeze() error
	thaw() error
	pid() int
}

var errNeedsProcess = errors.New("needs process mode (WithProcess)")

func (s *Server) signal(what string, f func(signaler) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.eng.(signaler)
	if !ok {
		s.fail(fmt.Errorf("harness: %s of %s %w", what, s.lay.name, errNeedsProcess))
		return
	}
	if err := f(p); err != nil {
		s.fail(fmt.Errorf("harness: %s of %s: %w", what, s.lay.name, err))
	}
}

// Kill ends the server process with SIGKILL, as a crash would: no lame-duck mode, no
// goodbye to clients, no JetStream shutdown. Restart brings it back with its store.
// Process mode only (WithProcess).
func (s *Server) Kill() {
	s.signal("kill", func(p signaler) error {
		err := p.kill()
		s.up = false
		return err
	})
}

// Freeze stops the server process with SIGSTOP: its connections stay open but nothing
// answers, as with a hung server or a long GC pause. Thaw resumes it. Process mode only.
func (s *Server) Freeze() { s.signal("freeze", signaler.freeze) }

// Thaw resumes a frozen server process with SIGCONT. Process mode only.
func (s *Server) Thaw() { s.signal("thaw", signaler.thaw) }

// PID returns the server process's id, or 0 when it is not running or not a process.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.eng.(signaler); ok {
		return p.pid()
	}
	return 0
}
