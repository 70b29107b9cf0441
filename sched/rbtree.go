package sched

// A red-black tree of sched_entities, intrusive like Linux's lib/rbtree.c:
// the links live in the entity (SchedEntity.node), so enqueue and dequeue do
// not allocate. The tree caches its leftmost node (struct rb_root_cached),
// which makes pick_next_entity O(1) while insert and erase stay O(log n).

// rbNode is struct rb_node.
type rbNode struct {
	parent, left, right *SchedEntity
	red                 bool
}

// rbRootCached is struct rb_root_cached.
type rbRootCached struct {
	root     *SchedEntity
	leftmost *SchedEntity
}

// first is rb_first_cached.
func (t *rbRootCached) first() *SchedEntity { return t.leftmost }

func (t *rbRootCached) last() *SchedEntity {
	n := t.root
	if n == nil {
		return nil
	}
	for n.node.right != nil {
		n = n.node.right
	}
	return n
}

func rbMin(n *SchedEntity) *SchedEntity {
	for n.node.left != nil {
		n = n.node.left
	}
	return n
}

// rbNext is rb_next: the in-order successor.
func rbNext(n *SchedEntity) *SchedEntity {
	if n.node.right != nil {
		return rbMin(n.node.right)
	}
	p := n.node.parent
	for p != nil && n == p.node.right {
		n, p = p, p.node.parent
	}
	return p
}

// rbPrev is rb_prev: the in-order predecessor.
func rbPrev(n *SchedEntity) *SchedEntity {
	if n.node.left != nil {
		n = n.node.left
		for n.node.right != nil {
			n = n.node.right
		}
		return n
	}
	p := n.node.parent
	for p != nil && n == p.node.left {
		n, p = p, p.node.parent
	}
	return p
}

func isRed(n *SchedEntity) bool { return n != nil && n.node.red }

func (t *rbRootCached) rotateLeft(x *SchedEntity) {
	y := x.node.right
	x.node.right = y.node.left
	if y.node.left != nil {
		y.node.left.node.parent = x
	}
	t.replaceChild(x, y)
	y.node.left = x
	x.node.parent = y
}

func (t *rbRootCached) rotateRight(x *SchedEntity) {
	y := x.node.left
	x.node.left = y.node.right
	if y.node.right != nil {
		y.node.right.node.parent = x
	}
	t.replaceChild(x, y)
	y.node.right = x
	x.node.parent = y
}

// replaceChild makes n take old's place under old's parent.
func (t *rbRootCached) replaceChild(old, n *SchedEntity) {
	p := old.node.parent
	if n != nil {
		n.node.parent = p
	}
	switch {
	case p == nil:
		t.root = n
	case old == p.node.left:
		p.node.left = n
	default:
		p.node.right = n
	}
}

// add is rb_add_cached: insert n after every node that is not greater, so
// entities with equal keys run in FIFO order.
func (t *rbRootCached) add(n *SchedEntity, less func(a, b *SchedEntity) bool) {
	var parent *SchedEntity
	link := &t.root
	leftmost := true
	for *link != nil {
		parent = *link
		if less(n, parent) {
			link = &parent.node.left
		} else {
			link = &parent.node.right
			leftmost = false
		}
	}
	n.node = rbNode{parent: parent, red: true}
	*link = n
	if leftmost {
		t.leftmost = n
	}
	t.insertFixup(n)
}

func (t *rbRootCached) insertFixup(z *SchedEntity) {
	for isRed(z.node.parent) {
		p := z.node.parent
		g := p.node.parent // exists: a red node is never the root
		if p == g.node.left {
			if u := g.node.right; isRed(u) {
				p.node.red, u.node.red, g.node.red = false, false, true
				z = g
				continue
			}
			if z == p.node.right {
				z = p
				t.rotateLeft(z)
				p = z.node.parent
			}
			p.node.red, g.node.red = false, true
			t.rotateRight(g)
		} else {
			if u := g.node.left; isRed(u) {
				p.node.red, u.node.red, g.node.red = false, false, true
				z = g
				continue
			}
			if z == p.node.left {
				z = p
				t.rotateRight(z)
				p = z.node.parent
			}
			p.node.red, g.node.red = false, true
			t.rotateLeft(g)
		}
	}
	t.root.node.red = false
}

// erase is rb_erase_cached.
func (t *rbRootCached) erase(z *SchedEntity) {
	if t.leftmost == z {
		t.leftmost = rbNext(z)
	}
	var x, xParent *SchedEntity
	removedRed := z.node.red
	switch {
	case z.node.left == nil:
		x, xParent = z.node.right, z.node.parent
		t.replaceChild(z, x)
	case z.node.right == nil:
		x, xParent = z.node.left, z.node.parent
		t.replaceChild(z, x)
	default:
		y := rbMin(z.node.right) // successor takes z's place
		removedRed = y.node.red
		x = y.node.right
		if y.node.parent == z {
			xParent = y
		} else {
			xParent = y.node.parent
			t.replaceChild(y, x)
			y.node.right = z.node.right
			y.node.right.node.parent = y
		}
		t.replaceChild(z, y)
		y.node.left = z.node.left
		y.node.left.node.parent = y
		y.node.red = z.node.red
	}
	z.node = rbNode{}
	if !removedRed {
		t.eraseFixup(x, xParent)
	}
}

// eraseFixup restores equal black heights after a black node was removed;
// x carries the "extra black" and may be nil, hence the explicit parent.
func (t *rbRootCached) eraseFixup(x, parent *SchedEntity) {
	for x != t.root && !isRed(x) {
		if x == parent.node.left {
			w := parent.node.right
			if isRed(w) {
				w.node.red, parent.node.red = false, true
				t.rotateLeft(parent)
				w = parent.node.right
			}
			if !isRed(w.node.left) && !isRed(w.node.right) {
				w.node.red = true
				x, parent = parent, parent.node.parent
				continue
			}
			if !isRed(w.node.right) {
				w.node.left.node.red, w.node.red = false, true
				t.rotateRight(w)
				w = parent.node.right
			}
			w.node.red, parent.node.red = parent.node.red, false
			w.node.right.node.red = false
			t.rotateLeft(parent)
		} else {
			w := parent.node.left
			if isRed(w) {
				w.node.red, parent.node.red = false, true
				t.rotateRight(parent)
				w = parent.node.left
			}
			if !isRed(w.node.left) && !isRed(w.node.right) {
				w.node.red = true
				x, parent = parent, parent.node.parent
				continue
			}
			if !isRed(w.node.left) {
				w.node.right.node.red, w.node.red = false, true
				t.rotateLeft(w)
				w = parent.node.left
			}
			w.node.red, parent.node.red = parent.node.red, false
			w.node.left.node.red = false
			t.rotateRight(parent)
		}
		x = t.root
	}
	if x != nil {
		x.node.red = false
	}
}
