package js

import (
	"context"
	"iter"
)

// Messages pulls continuously, as Consume does, and yields each message
// in order to the loop, which owns it. The loop ends when ctx ends or the
// loop breaks (both stop the consume), or with the error that ended the
// consume (ErrConsumerDeleted, ...) as the last pair. Errors a consume
// recovers from are not yielded; PullErrorHandler sees them.
func (c *Consumer) Messages(ctx context.Context, opts ...PullOption) iter.Seq2[*Msg, error] {
	return func(yield func(*Msg, error) bool) {
		s, err := c.newSession(opts)
		if err == nil {
			// The iterator itself hands messages over; a nil owned
			// handler starts no delivery goroutine, but the session must
			// queue (not lend) what it receives.
			s.owned = nil
			s.queueOnly = true
			err = s.start()
		}
		if err != nil {
			yield(nil, err)
			return
		}
		defer func() {
			s.stopWith(nil, false)
			<-s.done
		}()
		for {
			if m := s.pop(); m != nil {
				if !yield(m, nil) {
					return
				}
				continue
			}
			select {
			case <-s.ready:
			case <-s.stop:
				if m := s.pop(); m != nil {
					continue
				}
				s.mu.Lock()
				err := s.err
				s.mu.Unlock()
				if err != nil {
					yield(nil, err)
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}
}
