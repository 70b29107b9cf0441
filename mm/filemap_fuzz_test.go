package mm

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzPageCache runs random sequences of file mappings (shared and
// private, in two address spaces, one forked from the other), stores,
// loads, file writes and truncations against a model of the file, and
// checks that every byte a process reads is the model's (or its private
// copy's), that faults past the last page raise SIGBUS, the MM
// invariants, and that every frame comes back at the end.
func FuzzPageCache(f *testing.F) {
	f.Add([]byte{0, 0, 4, 1, 3, 2, 9, 2, 1, 1, 4, 3, 4, 0, 1, 5, 3, 1, 2, 0})
	f.Add([]byte{0, 1, 8, 0, 3, 5, 1, 1, 5, 0, 0, 0, 2, 1, 7, 2, 4, 0, 2, 0, 3, 7, 6, 2})
	f.Fuzz(runFuzzPageCache)
}

func runFuzzPageCache(t *testing.T, data []byte) {
	{ // the body of the fuzz function
		const pages = 8
		const base = 0x600000000000
		e := newEnv(t, 512)
		c := NewPageCache(e.alloc, pages*PageSize, nil)
		var file [pages]byte // the byte at the start of each page
		size := int64(pages * PageSize)
		type mapping struct {
			shared bool
			priv   map[int]byte // private copies: page → byte
		}
		mms := []*MM{e.newMM(t)}
		maps := []map[uint64]*mapping{{}} // per MM, by slot
		if len(data) > 4*64 {
			data = data[:4*64] // a bounded run: checkMM after every step is not cheap
		}
		for len(data) >= 4 {
			op, who, slot, arg := data[0]%6, int(data[1])%2, uint64(data[2])%4, data[3]
			data = data[4:]
			if who >= len(mms) {
				who = 0
			}
			m := mms[who]
			va := uint64(base) + slot*pages*PageSize
			pg := int(arg) % pages
			mp := maps[who][slot]
			switch op {
			case 0: // map the file at slot
				flags, shared := MAP_PRIVATE, arg&1 == 0
				if shared {
					flags = MAP_SHARED
				}
				_, err := m.MmapFile(va, pages*PageSize, PROT_READ|PROT_WRITE, flags|MAP_FIXED, c, 0, true, true)
				require.NoError(t, err)
				maps[who][slot] = &mapping{shared: shared, priv: map[int]byte{}}
			case 1: // store through the mapping
				if mp == nil {
					continue
				}
				err := m.CopyOut(va+uint64(pg)*PageSize, []byte{arg})
				if int64(pg)*PageSize >= size {
					require.Error(t, err, "store past EOF")
					continue
				}
				require.NoError(t, err)
				if mp.shared {
					file[pg] = arg
				} else {
					mp.priv[pg] = arg
				}
			case 2: // load through the mapping
				if mp == nil {
					continue
				}
				b := make([]byte, 1)
				_, ferr := m.HandleFault(va+uint64(pg)*PageSize, AccessRead)
				if int64(pg)*PageSize >= size {
					require.Equal(t, SIGBUS, faultSignal(ferr), "load past EOF")
					continue
				}
				require.NoError(t, m.CopyIn(b, va+uint64(pg)*PageSize))
				want, ok := mp.priv[pg]
				if !ok {
					want = file[pg]
				}
				require.Equal(t, want, b[0], "page %d", pg)
			case 3: // write() to the file
				_, err := c.WriteAt([]byte{arg}, int64(pg)*PageSize)
				require.NoError(t, err)
				file[pg] = arg
				size = max(size, int64(pg)*PageSize+1)
			case 4: // ftruncate
				ns := int64(arg%(2*pages)) * PageSize / 2
				c.Truncate(ns)
				for i := range file {
					if int64(i)*PageSize >= ns {
						file[i] = 0
						for _, mm := range maps {
							for _, mp := range mm {
								delete(mp.priv, i) // even_cows
							}
						}
					}
				}
				size = ns
			case 5: // fork (once) or munmap
				if len(mms) == 1 && arg&1 == 0 {
					child, err := m.Fork()
					require.NoError(t, err)
					mms = append(mms, child)
					cm := map[uint64]*mapping{}
					for s, mp := range maps[who] {
						priv := map[int]byte{}
						for k, v := range mp.priv {
							priv[k] = v
						}
						cm[s] = &mapping{shared: mp.shared, priv: priv}
					}
					maps = append(maps, cm)
				} else if mp != nil {
					require.NoError(t, m.Munmap(va, pages*PageSize))
					delete(maps[who], slot)
				}
			}
			checkMM(t, m)
		}
		for _, m := range mms {
			m.Release()
		}
		c.Put()
		e.noLeaks(t)
	}
}
