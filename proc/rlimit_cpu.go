package proc

// RLIMIT_CPU (kernel/time/posix-cpu-timers.c check_process_timers): a
// process that has used its soft limit of CPU seconds gets SIGXCPU, and
// again every further second (the soft limit moves up by one each time,
// as getrlimit then shows); at the hard limit it gets SIGKILL. The check
// runs where the CPU interval timers' does, on the way back to user mode
// after a tick charged the task.

// cpuWatchNeeded says whether the way back to user mode must look at the
// process's CPU time: an armed ITIMER_VIRTUAL/PROF, or a finite
// RLIMIT_CPU. Called with it.mu held.
func (s *SignalStruct) cpuWatchNeeded() bool {
	return s.it.cpu[0].expires != 0 || s.it.cpu[1].expires != 0 ||
		s.Rlimit(RLIMIT_CPU).Cur != RLIM_INFINITY
}

// armRlimitCPU makes the return path watch the CPU time after RLIMIT_CPU
// changed or was inherited (update_rlimit_cpu).
func (s *SignalStruct) armRlimitCPU() {
	s.it.mu.Lock()
	s.it.cpuArmed.Store(s.cpuWatchNeeded())
	s.it.mu.Unlock()
}

// checkRlimitCPU sends SIGKILL at the hard limit, SIGXCPU at the soft one.
func (k *Kernel) checkRlimitCPU(t *Task, used int64) {
	s := t.Signal
	s.rlimMu.Lock()
	lim := s.rlim[RLIMIT_CPU]
	if lim.Cur == RLIM_INFINITY {
		s.rlimMu.Unlock()
		return
	}
	if lim.Max != RLIM_INFINITY && uint64(used) >= lim.Max*1e9 {
		s.rlimMu.Unlock()
		k.SendSignalInfo(t, SigInfo{Signo: SIGKILL, Code: SI_KERNEL}, true)
		return
	}
	xcpu := uint64(used) >= lim.Cur*1e9
	if xcpu {
		s.rlim[RLIMIT_CPU].Cur = lim.Cur + 1
	}
	s.rlimMu.Unlock()
	if xcpu {
		k.SendSignalInfo(t, SigInfo{Signo: SIGXCPU, Code: SI_KERNEL}, true)
	}
}
