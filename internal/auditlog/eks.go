package auditlog

import (
	"bytes"
	"errors"
	"fmt"
)

// Amazon EKS sends the API server's audit log to CloudWatch Logs (log group
// /aws/eks/CLUSTER/cluster, streams kube-apiserver-audit-*): each log event's message
// is one audit.k8s.io/v1 Event, as the log backend writes it. The exports read here:
//
//   - a log event record, one per line: {"timestamp":..., "message":"{...Event...}",
//     "ingestionTime":..., "logStreamName":..., "eventId":...} (also as
//     `aws logs filter-log-events` lists them, e.g. piped through jq -c '.events[]');
//   - the output of `aws logs filter-log-events` (and get-log-events):
//     {"events":[records...], "searchedLogStreams":[...], "nextToken":...};
//   - the payload a subscription filter delivers (to Kinesis, Firehose, S3, Lambda,
//     once un-gzipped): {"messageType":"DATA_MESSAGE", "owner":..., "logGroup":...,
//     "logStream":..., "subscriptionFilters":[...], "logEvents":[{"id":...,
//     "timestamp":..., "message":"{...Event...}"}]}, one per line or concatenated.
//
// CONTROL_MESSAGE payloads (the health checks CloudWatch sends) are skipped.

// maxEKSNesting: a record, or a container of records (one level).
const maxEKSNesting = 1

func (d *Decoder) eks(b []byte, loc Location, max int, q *[]item) {
	if err := d.eksRecord(b, loc, max, q, 0); err != nil {
		*q = append(*q, item{err: &InputError{Location: loc, Err: err}})
	}
}

func (d *Decoder) eksRecord(b []byte, loc Location, max int, q *[]item, nesting int) error {
	var s scanner
	s.reset(b)
	s.scratch = d.aux
	defer func() { d.aux = s.scratch[:0] }()
	if err := s.beginObject(); err != nil {
		return fmt.Errorf("not a CloudWatch Logs record: %w", err)
	}
	var msg []byte
	var hasMsg, control bool
	var arrays [][]byte
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil {
			return fmt.Errorf("not a CloudWatch Logs record: %w", err)
		}
		if !ok {
			break
		}
		switch string(key) {
		case "message":
			if s.peek() != '"' {
				return errors.New("not a CloudWatch Logs record: message is not a string")
			}
			m, err := s.str()
			if err != nil {
				return fmt.Errorf("not a CloudWatch Logs record: %w", err)
			}
			// The message may be in the scanner's scratch buffer: copy it out.
			d.msg = append(d.msg[:0], m...)
			msg, hasMsg = d.msg, true
		case "messageType":
			var v string
			if err := d.strWith(&s, &v, true); err != nil {
				return fmt.Errorf("not a CloudWatch Logs record: %w", err)
			}
			control = v == "CONTROL_MESSAGE"
		case "events", "logEvents":
			raw, err := s.raw()
			if err != nil {
				return fmt.Errorf("not a CloudWatch Logs record: %w", err)
			}
			if nesting >= maxEKSNesting {
				return errors.New("not a CloudWatch Logs record: nested exports")
			}
			arrays = append(arrays, raw)
		default:
			if err := s.skip(); err != nil {
				return fmt.Errorf("not a CloudWatch Logs record: %w", err)
			}
		}
	}
	if err := s.end(); err != nil {
		return fmt.Errorf("not a CloudWatch Logs record: %w", err)
	}
	switch {
	case control:
		return nil
	case hasMsg:
		m := trimSpace(msg)
		if bytes.HasPrefix(m, []byte("CWL CONTROL MESSAGE")) {
			return nil
		}
		ev, err := d.Decode(m, loc)
		if err != nil {
			return fmt.Errorf("CloudWatch Logs message: %w", err)
		}
		*q = append(*q, item{ev: ev})
		return nil
	case arrays != nil:
		for _, raw := range arrays {
			// A record of an export keeps its own copy of the message buffer.
			err := d.items1(raw, loc, max, q, func(b []byte, loc Location, q *[]item) {
				if err := d.eksRecord(b, loc, max, q, nesting+1); err != nil {
					*q = append(*q, item{err: &InputError{Location: loc, Err: err}})
				}
			})
			if err != nil {
				return fmt.Errorf("not a CloudWatch Logs export: %w", err)
			}
		}
		return nil
	}
	return errors.New("not a CloudWatch Logs record: no message")
}

// strWith reads a string (or null) with scanner s.
func (d *Decoder) strWith(s *scanner, dst *string, intern bool) error {
	switch c := s.peek(); c {
	case '"':
		b, err := s.str()
		if err != nil {
			return err
		}
		if intern {
			*dst = d.intern(b)
		} else {
			*dst = string(b)
		}
		return nil
	case 'n':
		return s.literal("null")
	case 0:
		return s.eof()
	default:
		if err := s.skip(); err != nil {
			return err
		}
		return fmt.Errorf("want string, got %s", kind(c))
	}
}
