package unix

// skb is one queued message (struct sk_buff with its UNIXCB control
// block): the bytes, how many of them a stream reader already took, and
// what it carries besides.
type skb struct {
	data     []byte
	consumed int // UNIXCB(skb).consumed: bytes a stream reader already took
	truesize int
	// sender is skb->sk: it is charged truesize until the skb is freed,
	// and its name is the message's source address.
	sender *Sock
	scm    Scm
	// embryo is the server-side socket a connect queued on a listener.
	embryo *Sock
}

// len is unix_skb_len: the bytes still unread.
func (b *skb) len() int { return len(b.data) - b.consumed }

// free is kfree_skb: the sender gets its buffer space back (sock_wfree ->
// unix_write_space, which wakes writers once the socket is writable) and
// the files the message still carries are dropped.
func (b *skb) free() {
	b.scm.Destroy()
	if s := b.sender; s != nil {
		b.sender = nil
		s.wmem.Add(-int64(b.truesize))
		if s.writable() {
			s.wait.WakeKey(0x4 | 0x100 | POLLWRBAND) // POLLOUT | POLLWRNORM | POLLWRBAND
		}
	}
}

// Sizes behind skb->truesize on x86-64 (include/linux/skbuff.h):
// SKB_DATA_ALIGN(sizeof(struct sk_buff)) and of struct skb_shared_info,
// and SKB_MAX_HEAD(0) / SKB_MAX_ALLOC, the largest linear parts stream
// and datagram sends allocate before they use page fragments.
const (
	skbHeadOverhead = 256
	skbSharedInfo   = 320
	pageSize        = 4096
	skbMaxHead0     = pageSize - skbSharedInfo     // SKB_MAX_HEAD(0) = 3776
	skbMaxAlloc     = 4*pageSize - skbSharedInfo   // SKB_MAX_ALLOC = 16064
	unixSkbFragsSz  = 32768                        // UNIX_SKB_FRAGS_SZ
	maxSkbFrags     = 17                           // MAX_SKB_FRAGS
	streamMaxSkb    = skbMaxHead0 + unixSkbFragsSz // the largest stream skb
)

// kmallocSize is the size kmalloc really hands out for n bytes (ksize):
// the 8..8192-byte slab caches, then whole pages in powers of two.
func kmallocSize(n int) int {
	switch {
	case n <= 8:
		return 8
	case n <= 96 && n > 64:
		return 96
	case n <= 192 && n > 128:
		return 192
	}
	size := 8
	for size < n {
		size <<= 1
	}
	return size
}

// truesize is what an skb with a linear part of linear bytes and
// dataLen bytes of page fragments costs its sender (__alloc_skb +
// alloc_skb_with_frags): the kmalloc'ed head with its shared info, the
// struct sk_buff, and whole pages for the fragments.
func truesize(linear, dataLen int) int {
	head := kmallocSize((linear+63)&^63 + skbSharedInfo)
	pages := (dataLen + pageSize - 1) / pageSize
	return head + skbHeadOverhead + pages*pageSize
}
