// Package sched is tamix's process scheduler: Linux 6.1's kernel/sched
// (core.c, fair.c, rt.c, idle.c) rewritten in plain Go, so that it can be read
// side by side with the kernel sources and unit-tested on the host against a
// fake clock.
//
// Linux 6.1 is the last kernel whose fair class is CFS (6.6 replaced it with
// EEVDF); every rule and tunable here follows 6.1.
//
// # Model
//
// Each CPU owns an RQ (struct rq) with a fair runqueue (CFSRQ, struct cfs_rq:
// a red-black tree of sched_entities ordered by vruntime, with the leftmost
// node cached) and a real-time runqueue (RTRQ, struct rt_rq: 100 FIFO lists
// and a bitmap). The classes are consulted in Linux's order stop > dl > rt >
// fair > idle; tamix has no stop or deadline tasks, so rt > fair > idle.
//
// The per-CPU kernel loop (DESIGN.md, decision 3) drives the scheduler:
//
//	for {
//		next := s.Schedule(cpu, voluntary) // __schedule
//		run next in ring 3 until it traps
//		on the timer interrupt:   if s.Tick(cpu) { voluntary = false; continue }
//		on a blocking syscall:    s.Dequeue(curr, true); voluntary = true
//		on sched_yield:           s.Yield(curr); voluntary = false
//		if s.NeedResched(cpu) { ... }
//	}
//
// A context switch is just a different *Task coming back from Schedule; the
// caller switches trap frame and CR3.
//
// # Run state
//
// The scheduler only knows whether a task is queued (Task.OnRQ, Linux's
// p->on_rq) and whether it is the current task of a CPU (Task.OnCPU). Sleeping
// states (TASK_INTERRUPTIBLE…) and wait queues belong to the caller, which calls
// Dequeue when a task blocks and TryToWakeUp when it should run again.
//
// # vruntime normalisation
//
// As in Linux, a fair task's se.vruntime is absolute (comparable with its
// cfs_rq's min_vruntime) while it is queued or sleeping, and relative (minus
// min_vruntime) while it is being moved between runqueues or has just been
// forked. dequeue with sleep=false subtracts the source min_vruntime and the
// matching enqueue adds the destination's, so a migrating task keeps its lag.
//
// # Locking
//
// Every RQ has its own mutex (rq->__lock). Each Task has a mutex of its own
// (p->pi_lock) that serialises wakeups, affinity and policy changes of that
// task. The order is:
//
//	Task.pi  ->  RQ.lock  ->  RQ.lock (second runqueue)
//
// When two runqueues are locked at once (load balancing, wakeup migration),
// the one with the lower CPU index is always locked first, as
// double_rq_lock does, so two CPUs pulling from each other cannot deadlock.
// A task changes CPU only with its source runqueue locked and while it is not
// queued anywhere, or with both runqueues locked.
//
// Fields that other CPUs read without taking a runqueue lock (the number of
// runnable tasks and whether the CPU is idle, used to choose a CPU for a
// wakeup) have atomic mirrors, as Linux reads rq->nr_running with READ_ONCE.
package sched
