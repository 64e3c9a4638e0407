package svc

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/starling-nats/starling/core"
)

// The discovery verbs and the types of their responses (ADR-32).
const (
	VerbPing  = "PING"
	VerbInfo  = "INFO"
	VerbStats = "STATS"

	PingResponseType  = "io.nats.micro.v1.ping_response"
	InfoResponseType  = "io.nats.micro.v1.info_response"
	StatsResponseType = "io.nats.micro.v1.stats_response"
)

// Identity is what every discovery response starts with.
type Identity struct {
	Name     string            `json:"name"`
	ID       string            `json:"id"`
	Version  string            `json:"version"`
	Metadata map[string]string `json:"metadata"`
}

// PingResponse answers PING.
type PingResponse struct {
	Identity
	Type string `json:"type"`
}

// InfoResponse answers INFO: what the instance serves.
type InfoResponse struct {
	Identity
	Type        string         `json:"type"`
	Description string         `json:"description"`
	Endpoints   []EndpointInfo `json:"endpoints"`
}

// EndpointInfo describes one endpoint in INFO.
type EndpointInfo struct {
	Name       string            `json:"name"`
	Subject    string            `json:"subject"`
	QueueGroup string            `json:"queue_group"`
	Metadata   map[string]string `json:"metadata"`
}

// StatsResponse answers STATS: the instance's counters since it started
// or was Reset.
type StatsResponse struct {
	Identity
	Type string `json:"type"`
	// Started is when the service started or was last Reset, in UTC.
	Started   time.Time       `json:"started"`
	Endpoints []EndpointStats `json:"endpoints"`
}

// EndpointStats are one endpoint's counters. Durations are encoded as
// nanoseconds, as ADR-32 says.
type EndpointStats struct {
	Name        string `json:"name"`
	Subject     string `json:"subject"`
	QueueGroup  string `json:"queue_group"`
	NumRequests int    `json:"num_requests"`
	NumErrors   int    `json:"num_errors"`
	// LastError is "<code>:<description>" of the last error reply, "" if none.
	LastError             string        `json:"last_error"`
	ProcessingTime        time.Duration `json:"processing_time"`
	AverageProcessingTime time.Duration `json:"average_processing_time"`
	// Data is what Config.StatsHandler returned, encoded; absent without one.
	Data json.RawMessage `json:"data,omitempty"`
}

func (s *Service) identity() Identity {
	// Metadata is immutable after Add, so responses may share the map.
	return Identity{Name: s.cfg.Name, ID: s.id, Version: s.cfg.Version, Metadata: s.cfg.Metadata}
}

// Info returns what INFO reports about this instance.
func (s *Service) Info() InfoResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.infoLocked()
}

func (s *Service) infoLocked() InfoResponse {
	info := InfoResponse{Identity: s.identity(), Type: InfoResponseType, Description: s.cfg.Description,
		Endpoints: make([]EndpointInfo, 0, len(s.endpoints))}
	for _, e := range s.endpoints {
		info.Endpoints = append(info.Endpoints, EndpointInfo{Name: e.name, Subject: e.subject, QueueGroup: e.queue, Metadata: e.metadata})
	}
	return info
}

// Stats returns what STATS reports about this instance.
func (s *Service) Stats() StatsResponse {
	s.mu.Lock()
	eps := s.endpoints
	started := s.started
	s.mu.Unlock()
	st := StatsResponse{Identity: s.identity(), Type: StatsResponseType, Started: started,
		Endpoints: make([]EndpointStats, 0, len(eps))}
	for _, e := range eps {
		st.Endpoints = append(st.Endpoints, e.Stats())
	}
	return st
}

// statsData runs the user's StatsHandler; a panic or a value JSON cannot
// encode leaves "data" out and goes to the ErrorHandler, and STATS is still
// answered.
func (s *Service) statsData(h func(*Endpoint) any, e *Endpoint) (data json.RawMessage) {
	defer func() {
		if v := recover(); v != nil {
			data = nil
			s.reportError(&HandlerError{Endpoint: e.name, Subject: e.subject, Value: v, Err: fmt.Errorf("%w: stats handler", ErrHandlerPanic)})
		}
	}()
	b, err := json.Marshal(h(e))
	if err != nil {
		s.reportError(&HandlerError{Endpoint: e.name, Subject: e.subject, Err: fmt.Errorf("svc: stats handler data: %w", err)})
		return nil
	}
	return b
}

func (s *Service) encodePing() []byte {
	b, _ := json.Marshal(PingResponse{Identity: s.identity(), Type: PingResponseType})
	return b
}

func (s *Service) encodeInfo() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.encodeInfoLocked()
}

func (s *Service) encodeInfoLocked() []byte {
	b, _ := json.Marshal(s.infoLocked())
	return b
}

// discoverySubjects returns the three subjects of verb for this instance:
// all services, all of this name, this instance.
func (s *Service) discoverySubjects(verb string) [3]string {
	all := s.prefix + "." + verb
	return [3]string{all, all + "." + s.cfg.Name, all + "." + s.cfg.Name + "." + s.id}
}

// subscribeDiscovery makes the nine plain subscriptions (never a queue
// group: every instance must answer). They are owned handlers, so a slow
// StatsHandler runs on their goroutine, not on the connection's reader.
func (s *Service) subscribeDiscovery() error {
	for _, verb := range []string{VerbPing, VerbInfo, VerbStats} {
		answer := s.answerer(verb)
		for _, subj := range s.discoverySubjects(verb) {
			sub, err := s.nc.Subscribe(subj, answer)
			if err != nil {
				return fmt.Errorf("svc: discovery subscription %q: %w", subj, err)
			}
			s.discovery = append(s.discovery, sub)
		}
	}
	return nil
}

func (s *Service) answerer(verb string) func(*core.Msg) {
	return func(m *core.Msg) {
		var body []byte
		switch verb {
		case VerbPing:
			body = s.ping
		case VerbInfo:
			s.mu.Lock()
			body = s.info
			s.mu.Unlock()
		case VerbStats:
			var err error
			if body, err = json.Marshal(s.Stats()); err != nil {
				_ = m.RespondMsg(&core.Msg{Header: core.Header{
					ErrorHeader: {"encoding stats: " + err.Error()}, ErrorCodeHeader: {"500"}}})
				return
			}
		}
		// A request without a reply subject has nowhere to go.
		_ = m.Respond(body)
	}
}

// watch ends the service when its connection closes, and reports
// endpoint subscriptions that the server ended (a permissions violation):
// those requests would otherwise vanish without anyone knowing. One
// goroutine per service, for as long as it runs.
func (s *Service) watch() {
	defer s.watcher.Done()
	reported := map[*core.Subscription]bool{}
	for {
		cases := []reflect.SelectCase{
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.stopping)},
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.nc.Closed())},
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.changed)},
		}
		var eps []*Endpoint
		for _, e := range s.Endpoints() {
			if sub := e.sub.Load(); !reported[sub] {
				eps = append(eps, e)
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(sub.Done())})
			}
		}
		i, _, _ := reflect.Select(cases)
		switch {
		case i == 0:
			return
		case i == 1:
			s.stopOnClose()
			return
		case i == 2:
			continue
		}
		e := eps[i-3]
		sub := e.sub.Load()
		reported[sub] = true
		if s.Stopped() {
			return
		}
		if s.nc.IsClosed() {
			s.stopOnClose()
			return
		}
		err := sub.Err()
		if err == nil {
			// Ended without a reason from the server: only a Conn that is
			// closing does that, and its Closed case follows.
			continue
		}
		e.recordError(500, err.Error())
		s.reportError(&HandlerError{Endpoint: e.name, Subject: e.subject, Err: err})
	}
}
