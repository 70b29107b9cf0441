package sysv

import "encoding/binary"

// The structures the system calls exchange with user space, in the x86-64
// layout (asm-generic/ipcbuf.h, arch/x86/include/uapi/asm/shmbuf.h,
// sembuf.h, asm-generic/msgbuf.h). Everything read from user space is
// decoded from a copy, field by field: no value in it is trusted.

// Sizes of the user structures.
const (
	SizeofPerm64    = 48
	SizeofShmidDS   = 112
	SizeofSemidDS   = 104
	SizeofMsqidDS   = 120
	SizeofShmInfo64 = 72
	SizeofShmInfo   = 48
	SizeofSemInfo   = 40
	SizeofMsgInfo   = 32
	SizeofSembuf    = 6
)

var le = binary.LittleEndian

// putPerm writes struct ipc64_perm: key, uid, gid, cuid, cgid, mode (32-bit
// words), seq (16 bits), then padding and two unused longs.
func putPerm(b []byte, p Perm64) {
	le.PutUint32(b[0:], uint32(p.Key))
	le.PutUint32(b[4:], p.UID)
	le.PutUint32(b[8:], p.GID)
	le.PutUint32(b[12:], p.CUID)
	le.PutUint32(b[16:], p.CGID)
	le.PutUint32(b[20:], p.Mode)
	le.PutUint16(b[24:], p.Seq)
}

func getPerm(b []byte) Perm64 {
	return Perm64{Key: int32(le.Uint32(b[0:])), UID: le.Uint32(b[4:]), GID: le.Uint32(b[8:]),
		CUID: le.Uint32(b[12:]), CGID: le.Uint32(b[16:]), Mode: le.Uint32(b[20:]), Seq: le.Uint16(b[24:])}
}

// Marshal encodes struct shmid64_ds.
func (d *ShmidDS) Marshal() []byte {
	b := make([]byte, SizeofShmidDS)
	putPerm(b, d.Perm)
	le.PutUint64(b[48:], d.Segsz)
	le.PutUint64(b[56:], uint64(d.Atime))
	le.PutUint64(b[64:], uint64(d.Dtime))
	le.PutUint64(b[72:], uint64(d.Ctime))
	le.PutUint32(b[80:], uint32(d.Cpid))
	le.PutUint32(b[84:], uint32(d.Lpid))
	le.PutUint64(b[88:], d.Nattch)
	return b
}

// ParseShmidDS decodes struct shmid64_ds (b holds SizeofShmidDS bytes).
func ParseShmidDS(b []byte) ShmidDS {
	return ShmidDS{Perm: getPerm(b), Segsz: le.Uint64(b[48:]), Atime: int64(le.Uint64(b[56:])),
		Dtime: int64(le.Uint64(b[64:])), Ctime: int64(le.Uint64(b[72:])), Cpid: int32(le.Uint32(b[80:])),
		Lpid: int32(le.Uint32(b[84:])), Nattch: le.Uint64(b[88:])}
}

// Marshal encodes struct semid64_ds.
func (d *SemidDS) Marshal() []byte {
	b := make([]byte, SizeofSemidDS)
	putPerm(b, d.Perm)
	le.PutUint64(b[48:], uint64(d.Otime))
	le.PutUint64(b[64:], uint64(d.Ctime))
	le.PutUint64(b[80:], d.Nsems)
	return b
}

// ParseSemidDS decodes struct semid64_ds (b holds SizeofSemidDS bytes).
func ParseSemidDS(b []byte) SemidDS {
	return SemidDS{Perm: getPerm(b), Otime: int64(le.Uint64(b[48:])), Ctime: int64(le.Uint64(b[64:])),
		Nsems: le.Uint64(b[80:])}
}

// Marshal encodes struct msqid64_ds.
func (d *MsqidDS) Marshal() []byte {
	b := make([]byte, SizeofMsqidDS)
	putPerm(b, d.Perm)
	le.PutUint64(b[48:], uint64(d.Stime))
	le.PutUint64(b[56:], uint64(d.Rtime))
	le.PutUint64(b[64:], uint64(d.Ctime))
	le.PutUint64(b[72:], d.Cbytes)
	le.PutUint64(b[80:], d.Qnum)
	le.PutUint64(b[88:], d.Qbytes)
	le.PutUint32(b[96:], uint32(d.Lspid))
	le.PutUint32(b[100:], uint32(d.Lrpid))
	return b
}

// ParseMsqidDS decodes struct msqid64_ds (b holds SizeofMsqidDS bytes).
func ParseMsqidDS(b []byte) MsqidDS {
	return MsqidDS{Perm: getPerm(b), Stime: int64(le.Uint64(b[48:])), Rtime: int64(le.Uint64(b[56:])),
		Ctime: int64(le.Uint64(b[64:])), Cbytes: le.Uint64(b[72:]), Qnum: le.Uint64(b[80:]),
		Qbytes: le.Uint64(b[88:]), Lspid: int32(le.Uint32(b[96:])), Lrpid: int32(le.Uint32(b[100:]))}
}

// Marshal encodes struct shminfo64.
func (d *ShmInfo64) Marshal() []byte {
	b := make([]byte, SizeofShmInfo64)
	for i, v := range []uint64{d.Shmmax, d.Shmmin, d.Shmmni, d.Shmseg, d.Shmall} {
		le.PutUint64(b[8*i:], v)
	}
	return b
}

// Marshal encodes struct shm_info.
func (d *ShmInfo) Marshal() []byte {
	b := make([]byte, SizeofShmInfo)
	le.PutUint32(b[0:], uint32(d.UsedIDs))
	for i, v := range []uint64{d.ShmTot, d.ShmRss, d.ShmSwp, d.SwapAttempts, d.SwapSuccesses} {
		le.PutUint64(b[8+8*i:], v)
	}
	return b
}

// Marshal encodes struct seminfo.
func (d *SemInfo) Marshal() []byte {
	b := make([]byte, SizeofSemInfo)
	for i, v := range []int32{d.Semmap, d.Semmni, d.Semmns, d.Semmnu, d.Semmsl, d.Semopm, d.Semume,
		d.Semusz, d.Semvmx, d.Semaem} {
		le.PutUint32(b[4*i:], uint32(v))
	}
	return b
}

// Marshal encodes struct msginfo.
func (d *MsgInfo) Marshal() []byte {
	b := make([]byte, SizeofMsgInfo)
	for i, v := range []int32{d.Msgpool, d.Msgmap, d.Msgmax, d.Msgmnb, d.Msgmni, d.Msgssz, d.Msgtql} {
		le.PutUint32(b[4*i:], uint32(v))
	}
	le.PutUint16(b[28:], d.Msgseg)
	return b
}

// ParseSembufs decodes an array of struct sembuf (6 bytes each: sem_num,
// sem_op, sem_flg).
func ParseSembufs(b []byte) []Sembuf {
	out := make([]Sembuf, len(b)/SizeofSembuf)
	for i := range out {
		e := b[i*SizeofSembuf:]
		out[i] = Sembuf{Num: le.Uint16(e[0:]), Op: int16(le.Uint16(e[2:])), Flg: int16(le.Uint16(e[4:]))}
	}
	return out
}
