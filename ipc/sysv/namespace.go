package sysv

import "tamix/mm"

// Namespace is an ipc_namespace: the three kinds of objects and their
// limits (the sysctls kernel.shmmax, kernel.sem, kernel.msgmnb…). tamix
// has one, init_ipc_ns.
type Namespace struct {
	shm ids[*Segment]
	sem ids[*SemArray]
	msg ids[*MsgQueue]

	frames *mm.FrameAllocator
	// now returns the wall-clock time in seconds (ktime_get_real_seconds).
	now func() int64

	// Shared memory limits and usage (shm_ctlmax, shm_ctlall in pages,
	// shm_ctlmni; shm_tot in pages).
	ShmCtlMax, ShmCtlAll uint64
	ShmCtlMNI            int
	shmTot               uint64

	// Semaphore limits (sem_ctls: SEMMSL, SEMMNS, SEMOPM, SEMMNI) and the
	// semaphores in use (used_sems).
	SemMSL, SemMNS, SemOPM, SemMNI int
	usedSems                       int

	// Message queue limits (msg_ctlmax, msg_ctlmnb, msg_ctlmni) and usage.
	MsgCtlMax, MsgCtlMNB, MsgCtlMNI int
	msgBytes, msgHdrs               int
}

// NewNamespace returns a namespace with Linux's default limits. frames
// holds the segments' pages; now gives the time of day in seconds.
func NewNamespace(frames *mm.FrameAllocator, now func() int64) *Namespace {
	ns := &Namespace{
		frames: frames, now: now,
		ShmCtlMax: SHMMAX, ShmCtlAll: SHMALL, ShmCtlMNI: SHMMNI,
		SemMSL: SEMMSL, SemMNS: SEMMNS, SemOPM: SEMOPM, SemMNI: SEMMNI,
		MsgCtlMax: MSGMAX, MsgCtlMNB: MSGMNB, MsgCtlMNI: MSGMNI,
	}
	ns.shm.init()
	ns.sem.init()
	ns.msg.init()
	return ns
}
