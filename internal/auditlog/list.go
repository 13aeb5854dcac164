package auditlog

import (
	"errors"
	"fmt"
)

// DefaultMaxListItems bounds the events DecodeList reads from one EventList (the
// API server's webhook batches hold 400 by default).
const DefaultMaxListItems = 100000

// DecodeList reads an audit.k8s.io/v1 EventList (the webhook backend's body). The
// events that decode are returned with the errors of those that did not; past
// DefaultMaxListItems events, one error says the rest were not read.
func DecodeList(body []byte, file string) ([]*Event, []error) {
	d := decoders.Get().(*Decoder)
	defer func() { d.items, d.s.buf = nil, nil; decoders.Put(d) }()
	var q []item
	if err := d.list(body, Location{File: file, Format: FormatEvents}, DefaultMaxListItems, &q); err != nil {
		return nil, []error{&InputError{Location: Location{File: file}, Err: fmt.Errorf("not an EventList: %w", err)}}
	}
	var evs []*Event
	var errs []error
	for _, it := range q {
		if it.err != nil {
			errs = append(errs, it.err)
		} else {
			evs = append(evs, it.ev)
		}
	}
	return evs, errs
}

// list reads the items of an EventList document into q.
func (d *Decoder) list(body []byte, loc Location, max int, q *[]item) error {
	var s scanner
	s.reset(body)
	if err := s.beginObject(); err != nil {
		return err
	}
	var items []byte
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if eventFields.index(key) == fItems {
			if items, err = s.raw(); err != nil {
				return err
			}
		} else if err := s.skip(); err != nil {
			return err
		}
	}
	if err := s.end(); err != nil {
		return err
	}
	return d.items1(items, loc, max, q, d.eventItem)
}

// items1 calls each for the elements of a raw array (nil: none), bounded by max.
func (d *Decoder) items1(raw []byte, loc Location, max int, q *[]item, each func([]byte, Location, *[]item)) error {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	var s scanner
	s.reset(raw)
	if err := s.beginArray(); err != nil {
		return errors.New("items is not an array")
	}
	for first, i := true, 1; ; i++ {
		ok, err := s.nextElem(&first)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		s.ws()
		start := s.pos
		if err := s.skip(); err != nil {
			return err
		}
		if i > max {
			*q = append(*q, item{err: &InputError{Location: withIndex(loc, i), Err: fmt.Errorf("more than %d events in one document: the rest are not read", max)}})
			return nil
		}
		each(raw[start:s.pos], withIndex(loc, i), q)
	}
}

func withIndex(loc Location, i int) Location {
	loc.Index = i
	return loc
}

// eventItem decodes one Event of a list.
func (d *Decoder) eventItem(b []byte, loc Location, q *[]item) {
	ev, err := d.Decode(b, loc)
	if err != nil {
		*q = append(*q, item{err: &InputError{Location: loc, Err: err}})
		return
	}
	*q = append(*q, item{ev: ev})
}

// events decodes a record in the events format: an Event, or an EventList.
func (d *Decoder) events(b []byte, loc Location, max int, q *[]item) {
	ev, err := d.event(b)
	if err == nil && d.kind == "EventList" {
		items := d.items
		d.items = nil
		// The items are a slice of b: decode them after copying out of the scanner.
		if err := d.items1(items, loc, max, q, d.eventItem); err != nil {
			*q = append(*q, item{err: &InputError{Location: loc, Err: fmt.Errorf("not an EventList: %w", err)}})
		}
		return
	}
	switch {
	case err != nil:
		err = fmt.Errorf("not an audit event: %w", err)
	case ev.AuditID == "" || ev.Stage == "":
		err = errors.New("not an audit event: no auditID or stage")
	}
	if err != nil {
		*q = append(*q, item{err: &InputError{Location: loc, Err: err}})
		return
	}
	ev.Source = loc
	*q = append(*q, item{ev: ev})
}
