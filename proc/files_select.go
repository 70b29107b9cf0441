package proc

// openFds returns the descriptor table as select sees it: the bitmap of
// open descriptors (fdt->open_fds) and the table's size as Linux would have
// grown it (fdt->max_fds), which bounds select's nfds.
func (fs *FilesStruct) openFds() (open []uint64, maxFds int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	// The table only grows, to one past the highest descriptor ever
	// allocated (fork copies it up to the highest open one, as dup_fd).
	maxFds = linuxMaxFds(len(fs.fds) - 1)
	open = make([]uint64, maxFds/64)
	for fd, e := range fs.fds {
		if e.file != nil {
			open[fd/64] |= 1 << (fd % 64)
		}
	}
	return open, maxFds
}

// linuxMaxFds is the size of Linux's descriptor table once descriptor h
// was allocated: the embedded NR_OPEN_DEFAULT (64) slots, then a power of
// two (expand_fdtable → alloc_fdtable(h + 1), Linux 6.12 and later).
func linuxMaxFds(h int) int {
	if h < 64 {
		return 64
	}
	n := 128
	for n < h+1 {
		n <<= 1
	}
	return n
}
