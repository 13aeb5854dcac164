package audit

import "container/list"

// LRU is a map bounded to Max entries: adding one more forgets the least recently
// used. Detectors keep their per-identity state in one, so that memory stays flat
// however many identities a log holds. Not safe for concurrent use (an engine calls
// its detectors from one goroutine).
type LRU[K comparable, V any] struct {
	max   int
	order *list.List
	items map[K]*list.Element
	// Evicted counts the entries forgotten for lack of room.
	Evicted int
}

type entry[K comparable, V any] struct {
	key K
	val V
}

// NewLRU makes an LRU of at most max entries (at least 1).
func NewLRU[K comparable, V any](max int) *LRU[K, V] {
	if max < 1 {
		max = 1
	}
	return &LRU[K, V]{max: max, order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value of k and marks it used.
func (l *LRU[K, V]) Get(k K) (V, bool) {
	if el, ok := l.items[k]; ok {
		l.order.MoveToFront(el)
		return el.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Put sets the value of k.
func (l *LRU[K, V]) Put(k K, v V) {
	if el, ok := l.items[k]; ok {
		el.Value.(*entry[K, V]).val = v
		l.order.MoveToFront(el)
		return
	}
	l.items[k] = l.order.PushFront(&entry[K, V]{k, v})
	if l.order.Len() > l.max {
		last := l.order.Back()
		l.order.Remove(last)
		delete(l.items, last.Value.(*entry[K, V]).key)
		l.Evicted++
	}
}

// Delete forgets k.
func (l *LRU[K, V]) Delete(k K) {
	if el, ok := l.items[k]; ok {
		l.order.Remove(el)
		delete(l.items, k)
	}
}

// Len is the number of entries.
func (l *LRU[K, V]) Len() int { return l.order.Len() }

// Each calls f for every entry, most recently used first, until f returns false.
// f must not change the LRU.
func (l *LRU[K, V]) Each(f func(K, V) bool) {
	for el := l.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*entry[K, V])
		if !f(e.key, e.val) {
			return
		}
	}
}
