package auditrules

// Bursts: N events of one identity within a sliding window on the log's clock,
// reported once per burst with the count and the first and last events. A burst
// opens when the threshold is reached, grows while the identity's next event
// comes within the window of its last, and is reported when it closes: at the
// identity's next event after a longer gap, when any later event shows the window
// passed, or at the end of the input (Flush). State per identity is bounded
// (threshold events, in an LRU of Limits.MaxIdentities).

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
)

// defaultExempt are the Kubernetes components whose bursts are their own
// business (a kubelet starting, the controllers): parameter defaults.
var defaultExempt = []string{
	"system:apiserver", "system:kube-controller-manager", "system:kube-scheduler", "system:kube-proxy",
	"system:node:*", "system:serviceaccount:kube-system:*",
}

const maxBurstWhat = 5

type burst struct {
	key string
	// recent are the events of the window before the burst opened (at most
	// threshold), oldest first.
	recent       []*auditlog.Event
	first, last  *auditlog.Event
	count        int
	open         bool
	what         []string
	moreWhat     bool
	lastSeenTime time.Time
}

type bursts struct {
	threshold int
	window    time.Duration
	states    *audit.LRU[string, *burst]
	open      map[string]*burst
	maxOpen   int
	nextCheck time.Time
	// report closes a burst: describe writes its message.
	describe func(b *burst) string
}

func newBursts(s *audit.Setup, threshold int, window time.Duration, describe func(*burst) string) *bursts {
	if threshold < 1 {
		threshold = 1
	}
	return &bursts{
		threshold: threshold, window: window, describe: describe,
		states: audit.NewLRU[string, *burst](s.Limits.MaxIdentities), open: map[string]*burst{}, maxOpen: s.Limits.MaxIdentities,
	}
}

// expire reports the open bursts whose window has passed by now.
func (bs *bursts) expire(c *audit.Context, now time.Time) {
	if len(bs.open) == 0 || now.Before(bs.nextCheck) {
		return
	}
	bs.nextCheck = time.Time{}
	for _, k := range openKeys(bs.open) {
		b := bs.open[k]
		if now.Sub(b.lastSeenTime) > bs.window {
			bs.close(c, b)
			delete(bs.open, k)
			continue
		}
		if t := b.lastSeenTime.Add(bs.window); bs.nextCheck.IsZero() || t.Before(bs.nextCheck) {
			bs.nextCheck = t
		}
	}
}

// add counts one event of an identity; what names the request ("list secrets").
func (bs *bursts) add(c *audit.Context, key, what string) {
	ev := c.Event()
	now := ev.Time()
	b, ok := bs.states.Get(key)
	if !ok {
		b = &burst{key: key}
		bs.states.Put(key, b)
	}
	if b.open && now.Sub(b.lastSeenTime) > bs.window {
		bs.close(c, b)
		delete(bs.open, key)
	}
	b.lastSeenTime = now
	t := audit.Trim(ev)
	if b.open {
		b.count++
		b.last = t
		b.note(what)
		return
	}
	keep := b.recent[:0]
	for _, r := range b.recent {
		if now.Sub(r.Time()) <= bs.window {
			keep = append(keep, r)
		}
	}
	b.recent = append(keep, t)
	if len(b.recent) < bs.threshold {
		return
	}
	b.open, b.first, b.last, b.count = true, b.recent[0], t, len(b.recent)
	for _, r := range b.recent {
		b.note(whatOf(r))
	}
	b.recent = nil
	if len(bs.open) >= bs.maxOpen {
		k := openKeys(bs.open)[0]
		bs.close(c, bs.open[k])
		delete(bs.open, k)
	}
	bs.open[key] = b
	if e := now.Add(bs.window); bs.nextCheck.IsZero() || e.Before(bs.nextCheck) {
		bs.nextCheck = e
	}
}

func (b *burst) note(what string) {
	if contains(b.what, what) {
		return
	}
	if len(b.what) == maxBurstWhat {
		b.moreWhat = true
		return
	}
	b.what = append(b.what, what)
}

func (b *burst) whatText() string {
	s := strings.Join(b.what, ", ")
	if b.moreWhat {
		s += ", ..."
	}
	return s
}

// close reports a burst and resets it.
func (bs *bursts) close(c *audit.Context, b *burst) {
	if !b.open {
		return
	}
	chain := []*auditlog.Event{b.first}
	if b.last != b.first {
		chain = append(chain, b.last)
	}
	c.Report(audit.Report{Object: identityRef(audit.ActorOf(b.last)), Chain: chain, Whole: true, Count: b.count, Message: bs.describe(b)})
	*b = burst{key: b.key}
}

// flush reports every open burst (end of input).
func (bs *bursts) flush(c *audit.Context) {
	for _, k := range openKeys(bs.open) {
		bs.close(c, bs.open[k])
		delete(bs.open, k)
	}
}

// openKeys are the keys of the open bursts, sorted: findings come out in the same
// order every run.
func openKeys(m map[string]*burst) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// whatOf names a request for a burst's message: "list secrets", "get /api".
func whatOf(ev *auditlog.Event) string {
	if ev.ObjectRef == nil {
		p, _, _ := strings.Cut(ev.RequestURI, "?")
		return ev.Verb + " " + p
	}
	return ev.Verb + " " + ev.Resource()
}

// span is the burst's duration in words.
func span(b *burst) string {
	return fmt.Sprint(b.last.Time().Sub(b.first.Time()).Round(time.Second))
}
