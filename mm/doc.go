// Package mm is tamix's memory manager, the counterpart of Linux's mm/:
//
//   - FrameAllocator: physical page frames with one reference count each
//     (Linux: the buddy allocator plus struct page's _refcount).
//   - PageTable: 4-level x86-64 page tables that share the kernel's identity
//     map and add user mappings ("copy on descend", see pagetable.go).
//   - MM: an address space (Linux: mm_struct) made of VMAs (vm_area_struct),
//     with demand paging (handle_mm_fault), copy-on-write fork
//     (dup_mmap/copy_page_range, do_wp_page), brk/mmap/munmap/mprotect/madvise
//     and checked user copies (copy_from_user/copy_to_user).
//   - PageCache: a file's pages (Linux: address_space), which file mappings
//     map: shared ones the frames themselves, private ones read-only until
//     the first write copies (filemap.go).
//
// The package is plain Go: physical memory is reached through the PhysMemory
// interface (the identity map on the machine, an Arena in host tests), so the
// same code runs in both.
//
// Locking: every exported MM method takes mm.mu (Linux's mmap_lock, taken for
// writing everywhere: simple, and tamix address spaces are small). The frame
// allocator has its own lock and atomic reference counts; shared anonymous
// memory objects have their own lock because several MMs reach them, and so
// has a page cache. Order: a file's inode lock (vfs), then mm.mu, then the
// page cache's lock, then the allocator's. A page cache never calls into
// an MM while holding its lock: truncation and hole punching take each MM
// of its i_mmap in turn with the cache unlocked.
package mm
