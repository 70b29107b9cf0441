package fs

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWaitQueueWakeAll(t *testing.T) {
	var q WaitQueue
	woken := 0
	a := &Waiter{Wake: func() bool { woken++; return true }}
	b := &Waiter{Wake: func() bool { woken++; return true }}
	q.Add(a)
	q.Add(b)
	q.Remove(a)
	assert.Equal(t, 1, q.Len())
	q.WakeAll()
	assert.Equal(t, 1, woken)
	assert.Equal(t, 0, q.Len())
	q.WakeAll()
	assert.Equal(t, 1, woken, "a woken queue is empty")
}
