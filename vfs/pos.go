package vfs

// Pos is the open file's position (f_pos), as /proc/PID/fdinfo shows it.
func (f *RegFile) Pos() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.off
}
