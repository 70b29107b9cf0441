package mm

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"tamix/errno"
)

// The fuzzers work in a window of fuzzPages pages at fuzzBase and keep a
// model of each page: mapped, prot, shared, and the byte at its start.
const (
	fuzzBase  = 0x400000
	fuzzPages = 64
)

type modelPage struct {
	mapped, shared bool
	prot           int
	val            byte
}

// FuzzVMOps runs random mmap/munmap/mprotect/madvise/fault/fork/mremap
// sequences and checks the MM's invariants and a page model after every step.
func FuzzVMOps(f *testing.F) {
	f.Add([]byte{0, 0, 16, 3, 4, 2, 1, 0, 3, 4, 4, 1, 2, 6, 2, 0, 7, 0, 0, 0, 5, 0, 16, 0})
	f.Add([]byte{0, 10, 20, 0x13, 4, 12, 3, 0, 7, 0, 0, 0, 4, 12, 3, 0, 2, 15, 1, 0, 3, 0, 64, 1, 6, 0, 64, 0})
	f.Add([]byte{0, 0, 64, 3, 1, 30, 4, 0, 4, 0, 64, 0, 7, 1, 0, 0, 3, 32, 32, 0, 4, 0, 64, 0, 2, 1, 62, 0, 7, 0, 0, 0})
	f.Add([]byte{0, 5, 5, 0x17, 4, 5, 5, 0, 7, 0, 0, 0, 6, 5, 5, 0, 5, 5, 5, 0, 0, 8, 4, 0x3})
	f.Add([]byte{0, 0, 7, 3, 4, 0, 7, 0, 2, 2, 0, 0, 8, 0, 3, 20, 0, 30, 3, 0x13, 4, 30, 3, 0, 7, 0, 0, 0,
		8, 28, 5, 40, 8, 30, 3, 31, 8, 30, 3, 2, 4, 0, 8, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		e := newEnv(t, 2048)
		mm := e.newMM(t)
		var model [fuzzPages]modelPage
		counter := byte(1)
		for len(data) >= 4 {
			op, pg, n, arg := data[0]%9, int(data[1])%fuzzPages, int(data[2])%16+1, data[3]
			data = data[4:]
			if pg+n > fuzzPages {
				n = fuzzPages - pg
			}
			va, length := uint64(fuzzBase+pg*PageSize), uint64(n*PageSize)
			prot := int(arg) & 7
			switch op {
			case 0, 1: // mmap MAP_FIXED / MAP_FIXED_NOREPLACE
				flags := MAP_ANONYMOUS | MAP_PRIVATE
				shared := arg&0x10 != 0
				if shared {
					flags = MAP_ANONYMOUS | MAP_SHARED
				}
				if op == 0 {
					flags |= MAP_FIXED
				} else {
					flags |= MAP_FIXED_NOREPLACE
				}
				busy := false
				for p := pg; p < pg+n; p++ {
					busy = busy || model[p].mapped
				}
				addr, err := mm.Mmap(va, length, prot, flags, nil, 0)
				if op == 1 && busy {
					require.ErrorIs(t, err, errno.EEXIST)
					break
				}
				require.NoError(t, err)
				require.Equal(t, va, addr)
				for p := pg; p < pg+n; p++ {
					model[p] = modelPage{mapped: true, shared: shared, prot: prot}
				}
			case 2: // munmap
				require.NoError(t, mm.Munmap(va, length))
				for p := pg; p < pg+n; p++ {
					model[p] = modelPage{}
				}
			case 3: // mprotect: applies page by page until a hole
				err := mm.Mprotect(va, length, prot)
				hole := false
				for p := pg; p < pg+n; p++ {
					if !model[p].mapped {
						hole = true
						break
					}
					model[p].prot = prot
				}
				if hole {
					require.ErrorIs(t, err, errno.ENOMEM)
				} else {
					require.NoError(t, err)
				}
			case 4: // user writes
				for p := pg; p < pg+n; p++ {
					_, err := mm.HandleFault(uint64(fuzzBase+p*PageSize), AccessWrite|AccessUser)
					if !model[p].mapped || model[p].prot&PROT_WRITE == 0 {
						requireSignal(t, err, SIGSEGV, map[bool]int{true: SEGV_ACCERR, false: SEGV_MAPERR}[model[p].mapped])
						continue
					}
					require.NoError(t, err)
					require.NoError(t, mm.CopyOut(uint64(fuzzBase+p*PageSize), []byte{counter}))
					model[p].val = counter
					counter++
				}
			case 5: // user reads
				for p := pg; p < pg+n; p++ {
					_, err := mm.HandleFault(uint64(fuzzBase+p*PageSize), AccessRead|AccessUser)
					if !model[p].mapped || model[p].prot == 0 {
						require.Error(t, err)
						continue
					}
					require.NoError(t, err)
				}
			case 6: // madvise(MADV_DONTNEED)
				err := mm.Madvise(va, length, MADV_DONTNEED)
				hole := false
				for p := pg; p < pg+n; p++ {
					if !model[p].mapped {
						hole = true
						continue
					}
					if !model[p].shared {
						model[p].val = 0
					}
				}
				if hole {
					require.ErrorIs(t, err, errno.ENOMEM)
				} else {
					require.NoError(t, err)
				}
			case 7: // fork; the child scribbles over every writable page
				child, err := mm.Fork()
				require.NoError(t, err)
				checkMM(t, child)
				for p := range model {
					if model[p].mapped && model[p].prot&PROT_WRITE != 0 {
						require.NoError(t, child.CopyOut(uint64(fuzzBase+p*PageSize), []byte{0xee}))
						if model[p].shared {
							model[p].val = 0xee
						}
					}
				}
				checkMM(t, child)
				child.Release()
			case 8: // mremap MREMAP_FIXED, same length: every piece moves, gaps stay
				dp := int(arg) % fuzzPages
				if dp+n > fuzzPages {
					n = fuzzPages - dp
				}
				dst := uint64(fuzzBase + dp*PageSize)
				length = uint64(n * PageSize)
				got, err := mm.Mremap(va, length, length, MREMAP_MAYMOVE|MREMAP_FIXED, dst)
				switch {
				case pg < dp+n && dp < pg+n:
					require.ErrorIs(t, err, errno.EINVAL)
				case !model[pg].mapped:
					require.ErrorIs(t, err, errno.EFAULT)
				default:
					require.NoError(t, err)
					require.Equal(t, dst, got)
					for p := pg; p < pg+n; p++ {
						if model[p].mapped {
							model[dp+p-pg] = model[p]
							model[p] = modelPage{}
						}
					}
				}
			}
			checkMM(t, mm)
			// The data model: every readable page holds what was last written.
			for p := range model {
				got := []byte{0}
				err := mm.CopyIn(got, uint64(fuzzBase+p*PageSize))
				if !model[p].mapped || model[p].prot == 0 {
					require.ErrorIs(t, err, errno.EFAULT, "page %d", p)
					continue
				}
				require.NoError(t, err, "page %d", p)
				require.Equal(t, model[p].val, got[0], "page %d", p)
			}
			checkMM(t, mm)
			// VMAs agree with the model page by page.
			for _, v := range mm.VMAs() {
				for a := v.Start; a < v.End; a += PageSize {
					p := int(a-fuzzBase) / PageSize
					require.True(t, model[p].mapped)
					require.Equal(t, VMFlags(model[p].prot), v.Flags&vmAccessFlags)
				}
			}
		}
		mm.Release()
		e.noLeaks(t)
	})
}

// FuzzCopy checks CopyIn/CopyOut at random addresses and lengths against a
// byte model of a window holding mappings of each protection and holes.
func FuzzCopy(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0x10, 0, 0, 0, 1, 0xff, 0x3f, 0, 0, 0x20, 0, 0, 0, 0})
	f.Add([]byte{1, 0xf0, 0x0f, 0, 0, 0x10, 0x00, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{3, 0x00, 0x3f, 0, 0, 0x00, 0x40, 0, 0, 1, 0x00, 0x1f, 0, 0, 0x00, 0x10, 0, 0})
	f.Add(bytes.Repeat([]byte{9, 1, 2, 3, 4, 5, 6, 7, 8}, 4))
	const pages = 16
	// Layout: rw rw ro rw | - - none rw | rw(shared) rw - wo | rw rw rw -
	prots := [pages]int{rw, rw, PROT_READ, rw, -1, -1, PROT_NONE, rw, rw, rw, -1, PROT_WRITE, rw, rw, rw, -1}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := newEnv(t, 256)
		mm := e.newMM(t)
		shadow := make([]byte, pages*PageSize)
		for p, prot := range prots {
			if prot < 0 {
				continue
			}
			flags := anonRW | MAP_FIXED
			if p == 8 {
				flags = MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED
			}
			_, err := mm.Mmap(fuzzBase+uint64(p)*PageSize, PageSize, prot, flags, nil, 0)
			require.NoError(t, err)
		}
		ok := func(va uint64, n int, write bool) bool {
			if n == 0 {
				return true
			}
			if va < fuzzBase || va+uint64(n) > fuzzBase+pages*PageSize || va+uint64(n) < va {
				return false
			}
			for p := (va - fuzzBase) / PageSize; p <= (va+uint64(n)-1-fuzzBase)/PageSize; p++ {
				prot := prots[p]
				if prot <= 0 || write && prot&PROT_WRITE == 0 {
					return false
				}
			}
			return true
		}
		fill := byte(1)
		for len(data) >= 9 {
			kind := data[0]
			raw := binary.LittleEndian.Uint64(data[1:9])
			data = data[9:]
			var va uint64
			n := int(raw>>32) % (3 * PageSize)
			if kind&8 != 0 {
				va = raw // anywhere at all
			} else {
				va = fuzzBase + uint64(uint32(raw))%(pages*PageSize+PageSize) - PageSize/2
			}
			if kind&1 == 0 { // CopyOut
				src := bytes.Repeat([]byte{fill}, n)
				fill++
				err := mm.CopyOut(va, src)
				if !ok(va, n, true) {
					require.ErrorIs(t, err, errno.EFAULT, "out %#x+%d", va, n)
					// Pages before the bad one were written, as with Linux's
					// copy_to_user.
					for a, src := va, src; userRange(va, n) && len(src) > 0; {
						c := min(uint64(len(src)), pageDown(a)+PageSize-a)
						if !ok(a, int(c), true) {
							break
						}
						copy(shadow[a-fuzzBase:], src[:c])
						a, src = a+c, src[c:]
					}
					continue
				}
				require.NoError(t, err, "out %#x+%d", va, n)
				if n > 0 {
					copy(shadow[va-fuzzBase:], src)
				}
			} else {
				dst := make([]byte, n)
				err := mm.CopyIn(dst, va)
				if !ok(va, n, false) {
					require.ErrorIs(t, err, errno.EFAULT, "in %#x+%d", va, n)
					continue
				}
				require.NoError(t, err, "in %#x+%d", va, n)
				if n > 0 {
					require.Equal(t, shadow[va-fuzzBase:va-fuzzBase+uint64(n)], dst, "in %#x+%d", va, n)
				}
			}
		}
		checkMM(t, mm)
		mm.Release()
		e.noLeaks(t)
	})
}
