package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"tamix/fs"
	"tamix/mm"
	"tamix/vfs"
)

// A host harness for system calls: a Kernel on arena-backed frames, user
// tasks with a real mm, and handlers called straight from syscallTable.
// A handler that returns errBlock has put its task to sleep; the test then
// does what would wake it and calls the handler again, as the per-CPU
// loop's PrepareToRun does.

type harness struct {
	k   *Kernel
	now int64
}

const (
	harnessFrames = 2048 // 8 MiB of simulated RAM
	frameBase     = 1 << 20
	scratchSize   = 256 << 10
)

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{now: 1_000_000_000}
	mem := mm.NewArena(0, frameBase+harnessFrames*mm.PageSize)
	frames := mm.NewFrameAllocator(mem, []mm.Range{{Start: frameBase, End: frameBase + harnessFrames*mm.PageSize}})
	con := &testConsole{}
	h.k = NewKernel(Config{
		Frames:  frames,
		NCPU:    1,
		Clock:   func() int64 { return h.now },
		Wall:    func() int64 { return 1_700_000_000_000_000_000 + h.now },
		Random:  func(b []byte) {},
		Console: con,
		VFS: vfs.New(vfs.Config{
			Images:  map[string][]byte{"/bin/cat": []byte("\x7fELF-cat")},
			Console: con,
			Frames:  frames,
		}),
	})
	return h
}

// utask is a user process made by fork from init_task, with an mm and a
// scratch mapping that the test hands out with alloc.
type utask struct {
	*Task
	h    *harness
	base uint64
	next uint64
}

func (h *harness) newTask(t testing.TB) *utask {
	t.Helper()
	return h.fork(t, h.k.InitTask)
}

// fork makes a child of parent sharing nothing but the descriptors it
// inherits (copy_files), with its own fresh mm.
func (h *harness) fork(t testing.TB, parent *Task) *utask {
	t.Helper()
	c, err := h.k.copyProcess(parent, CloneArgs{ExitSignal: SIGCHLD})
	require.NoError(t, err)
	m, err := mm.NewMM(h.k.Frames, 0, nil)
	require.NoError(t, err)
	c.MM, c.ActiveMM = m, m
	c.Flags &^= PF_KTHREAD
	h.k.WakeUpNewTask(c)
	base, err := m.Mmap(0, scratchSize, mm.PROT_READ|mm.PROT_WRITE, mm.MAP_PRIVATE|mm.MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	return &utask{Task: c, h: h, base: base, next: base}
}

// alloc reserves n bytes of user memory (8-aligned).
func (u *utask) alloc(n int) uint64 {
	va := u.next
	u.next += uint64(n+7) &^ 7
	if u.next > u.base+scratchSize {
		panic("harness: scratch exhausted")
	}
	return va
}

// str puts a NUL-terminated string in user memory.
func (u *utask) str(s string) uint64 {
	va := u.alloc(len(s) + 1)
	if err := u.MM.CopyOut(va, append([]byte(s), 0)); err != nil {
		panic(err)
	}
	return va
}

// bytes puts b in user memory.
func (u *utask) bytes(b []byte) uint64 {
	va := u.alloc(len(b))
	if err := u.MM.CopyOut(va, b); err != nil {
		panic(err)
	}
	return va
}

// read copies n bytes of user memory out.
func (u *utask) read(va uint64, n int) []byte {
	b := make([]byte, n)
	if err := u.MM.CopyIn(b, va); err != nil {
		panic(err)
	}
	return b
}

func (u *utask) u32(va uint64) uint32 { return binary.LittleEndian.Uint32(u.read(va, 4)) }

// call runs system call nr with args in u's context, once.
func (u *utask) call(nr uint64, args ...uint64) (uint64, error) {
	var a sysArgs
	copy(a[:], args)
	fn := syscallTable[nr]
	if fn == nil {
		panic("harness: no system call")
	}
	return fn(u.h.k, u.Task, &a)
}

// sleeping reports whether the task went to sleep (and was not woken yet).
func (u *utask) sleeping() bool { return u.State() == TASK_INTERRUPTIBLE }

// testConsole is a console that takes all output and never has input.
type testConsole struct {
	q   fs.WaitQueue
	out []byte
}

func (c *testConsole) Read(p []byte) (int, error)  { return 0, errAgain }
func (c *testConsole) Write(p []byte) (int, error) { c.out = append(c.out, p...); return len(p), nil }
func (c *testConsole) Poll() uint32                { return fs.POLLOUT | fs.POLLWRNORM }
func (c *testConsole) Wait() *fs.WaitQueue         { return &c.q }
func (c *testConsole) Release()                    {}

var errAgain = fs.ErrWouldBlock
