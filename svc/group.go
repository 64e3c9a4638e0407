package svc

import "maps"

// Group gathers endpoints under a subject prefix, and may give them a
// queue group, pending limits or the borrowed mode. Groups nest: a group's
// prefix follows its parent's (parent.child).
type Group struct {
	s      *Service
	prefix string
	opts   options
}

// Prefix returns the group's subject prefix ("" for the service's top
// level).
func (g *Group) Prefix() string { return g.prefix }

// AddGroup returns a group nested in g whose endpoints' subjects start
// with g's prefix and then prefix. prefix is one or more subject tokens,
// '*' allowed, '>' not. Options set the queue group (QueueGroup,
// NoQueueGroup), PendingLimits and Borrowed for the group's endpoints;
// unset ones are inherited from g.
func (g *Group) AddGroup(prefix string, opts ...Option) (*Group, error) {
	full := prefix
	if g.prefix != "" {
		full = g.prefix + "." + prefix
	}
	if err := checkGroupPrefix(full); err != nil {
		return nil, err
	}
	o := applyOptions(opts)
	if o.endpointOnly != "" {
		return nil, configErr("group option", o.endpointOnly, "only endpoints take it")
	}
	if err := checkQueue(o.queue); err != nil {
		return nil, err
	}
	if g.s.Stopped() {
		return nil, ErrStopped
	}
	return &Group{s: g.s, prefix: full, opts: o.under(g.opts)}, nil
}

// under resolves o beneath its parent's options: what o sets wins.
func (o options) under(parent options) options {
	o.queue = o.queue.under(parent.queue)
	o.borrowed = o.borrowed || parent.borrowed
	if !o.limits {
		o.msgs, o.bytes, o.limits = parent.msgs, parent.bytes, parent.limits
	}
	return o
}

// AddEndpoint adds an endpoint named name (ASCII letters, digits, '-' and
// '_') that serves h on the group's prefix followed by its subject
// (WithSubject, default: its name), in the resolved queue group. The
// subscription is sent to the server before it returns; requests from
// other connections reach it once the server has processed it, which
// nc.Flush waits for. An invalid name, subject or queue group returns a
// *ConfigError and subscribes nothing; a stopped service returns
// ErrStopped.
func (g *Group) AddEndpoint(name string, h Handler, opts ...Option) (*Endpoint, error) {
	if !validName(name) {
		return nil, configErr("endpoint name", name, "must be one or more of A-Z, a-z, 0-9, '-' and '_'")
	}
	if h == nil {
		return nil, configErr("handler", name, "nil")
	}
	o := applyOptions(opts)
	if err := checkQueue(o.queue); err != nil {
		return nil, err
	}
	o = o.under(g.opts)
	subject := o.subject
	if subject == "" {
		subject = name
	}
	if g.prefix != "" {
		subject = g.prefix + "." + subject
	}
	if err := checkEndpointSubject(subject, g.s.prefix); err != nil {
		return nil, err
	}
	if o.metadata == nil {
		o.metadata = map[string]string{}
	}
	e := &Endpoint{
		s:        g.s,
		name:     name,
		subject:  subject,
		queue:    o.queue.queue(),
		metadata: maps.Clone(o.metadata),
		handler:  h,
		borrowed: o.borrowed,
	}
	return e, g.s.addEndpoint(e, o)
}
