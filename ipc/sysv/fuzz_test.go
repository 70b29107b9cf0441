package sysv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The structures come from user space: any bytes decode without a panic,
// and what decodes encodes back to the same fields.
func FuzzParseStructs(f *testing.F) {
	f.Add(make([]byte, SizeofMsqidDS))
	f.Add([]byte("\xff\xff\xff\xff\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\xb6\x01\x00\x00\x07\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < SizeofMsqidDS {
			b = append(b, make([]byte, SizeofMsqidDS-len(b))...)
		}
		shm := ParseShmidDS(b[:SizeofShmidDS])
		assert.Equal(t, shm, ParseShmidDS(shm.Marshal()))
		sem := ParseSemidDS(b[:SizeofSemidDS])
		assert.Equal(t, sem, ParseSemidDS(sem.Marshal()))
		msq := ParseMsqidDS(b[:SizeofMsqidDS])
		assert.Equal(t, msq, ParseMsqidDS(msq.Marshal()))
	})
}

// Any array of sembufs, applied to a small set with IPC_NOWAIT, either
// fails with the set unchanged or succeeds; values stay in 0..SEMVMX and
// the undo adjustments in -SEMAEM-1..SEMAEM, and undoing at exit returns
// the set to where it started (clamped).
func FuzzSemop(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 0, 0x10, 1, 0, 0xff, 0xff, 0, 0x18})
	f.Add([]byte{2, 0, 0, 0x80, 0, 0x08, 2, 0, 0xff, 0x7f, 0, 0x18})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > SEMOPM*SizeofSembuf {
			b = b[:SEMOPM*SizeofSembuf]
		}
		sops := ParseSembufs(b)
		if len(sops) == 0 {
			return
		}
		for i := range sops {
			sops[i].Flg |= IPC_NOWAIT // never sleep: nobody would wake us
		}
		ns, _ := newTestNS(t)
		id, err := ns.Semget(IPC_PRIVATE, 3, 0600, root)
		require.NoError(t, err)
		require.NoError(t, ns.SemSetAll(id, []uint16{1, 100, SEMVMX}, root))
		var ss SysvSem
		before, _ := ns.SemGetAll(id, root)
		q, err := ns.Semtimedop(id, sops, &ss, root, nil)
		require.Nil(t, q)
		after, _ := ns.SemGetAll(id, root)
		if err != nil {
			assert.Equal(t, before, after, "a failed semop changes nothing")
		}
		for _, v := range after {
			assert.LessOrEqual(t, v, uint16(SEMVMX))
		}
		if ss.undoList != nil {
			for _, un := range ss.undoList.undos {
				for _, adj := range un.semadj {
					assert.True(t, adj >= -SEMAEM-1 && adj <= SEMAEM)
				}
			}
		}
		ns.ExitSem(&ss, 1)
		final, _ := ns.SemGetAll(id, root)
		if err != nil {
			assert.Equal(t, before, final)
		}
	})
}
