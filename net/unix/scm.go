package unix

import (
	"encoding/binary"

	"tamix/errno"
)

// Control messages (include/linux/socket.h).
const (
	SOL_SOCKET      = 1
	SCM_RIGHTS      = 1
	SCM_CREDENTIALS = 2
	// SCM_MAX_FD bounds the descriptors one message carries.
	SCM_MAX_FD = 253
	// CmsghdrSize is sizeof(struct cmsghdr) on x86-64: cmsg_len is a
	// size_t, then two ints.
	CmsghdrSize = 16
	// OptmemMax is net.core.optmem_max: the most control data sendmsg
	// takes (sock_kmalloc fails with ENOBUFS beyond it).
	OptmemMax = 20480
	ucredSize = 12
)

// CmsgAlign is CMSG_ALIGN: control messages start on 8-byte boundaries.
func CmsgAlign(n uint64) uint64 { return (n + 7) &^ 7 }

// CmsgLen is CMSG_LEN(n) and CmsgSpace CMSG_SPACE(n).
func CmsgLen(n int) int   { return CmsghdrSize + n }
func CmsgSpace(n int) int { return CmsghdrSize + int(CmsgAlign(uint64(n))) }

// PassedFile is an open file in flight in an SCM_RIGHTS message: it holds
// one reference, which Drop gives back when the message goes unreceived.
type PassedFile interface{ Drop() }

// Scm is a message's control data (struct scm_cookie): the sender's
// credentials, and the files it passes (scm_fp_list).
type Scm struct {
	Cred  Cred
	Files []PassedFile
}

// Destroy drops the files (scm_destroy); the Scm can be reused.
func (c *Scm) Destroy() {
	for _, f := range c.Files {
		f.Drop()
	}
	c.Files = nil
}

// Cmsg is one control message as sent: its level, type and data.
type Cmsg struct {
	Level, Type int32
	Data        []byte
}

// ParseCmsgs walks the control buffer of a sendmsg as __scm_send does
// with for_each_cmsghdr: a header that does not fit in what is left, or
// claims less than a header, is EINVAL (CMSG_OK); walking stops when less
// than a header remains. It only splits; SendScm interprets.
func ParseCmsgs(ctl []byte) ([]Cmsg, error) {
	var out []Cmsg
	off := uint64(0)
	size := uint64(len(ctl))
	for size >= CmsghdrSize && off <= size-CmsghdrSize {
		l := binary.LittleEndian.Uint64(ctl[off:])
		if l < CmsghdrSize || l > size-off {
			return nil, errno.EINVAL
		}
		out = append(out, Cmsg{
			Level: int32(binary.LittleEndian.Uint32(ctl[off+8:])),
			Type:  int32(binary.LittleEndian.Uint32(ctl[off+12:])),
			Data:  ctl[off+CmsghdrSize : off+l],
		})
		off += CmsgAlign(l) // l <= size, so no overflow
	}
	return out, nil
}

// ScmSource is what SendScm needs from the sender's process: its open
// files by descriptor (fget_raw, EBADF when closed), whether it may claim
// credentials (scm_check_creds: its own pid, uid and gid, or
// CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID), and whether a pid names a
// process (find_get_pid).
type ScmSource interface {
	FileRef(fd int32) (PassedFile, error)
	MayClaim(c Cred) bool
	PIDExists(pid int32) bool
}

// SendScm is __scm_send for an AF_UNIX socket: SCM_RIGHTS descriptors
// become file references (up to SCM_MAX_FD in all, the message's
// cmsgs summed), SCM_CREDENTIALS replaces the default credentials (EPERM
// for ones the sender may not claim; the pid must exist), other SOL_SOCKET types are EINVAL and
// other levels are ignored. On error every reference taken is dropped.
func SendScm(cmsgs []Cmsg, src ScmSource, scm *Scm) error {
	for _, c := range cmsgs {
		if c.Level != SOL_SOCKET {
			continue
		}
		switch c.Type {
		case SCM_RIGHTS:
			num := len(c.Data) / 4
			if num <= 0 {
				continue
			}
			if num > SCM_MAX_FD || len(scm.Files)+num > SCM_MAX_FD {
				scm.Destroy()
				return errno.EINVAL
			}
			for i := 0; i < num; i++ {
				f, err := src.FileRef(int32(binary.LittleEndian.Uint32(c.Data[4*i:])))
				if err != nil {
					scm.Destroy()
					return err
				}
				scm.Files = append(scm.Files, f)
			}
		case SCM_CREDENTIALS:
			if len(c.Data) != ucredSize {
				scm.Destroy()
				return errno.EINVAL
			}
			cr := Cred{
				PID: int32(binary.LittleEndian.Uint32(c.Data)),
				UID: binary.LittleEndian.Uint32(c.Data[4:]),
				GID: binary.LittleEndian.Uint32(c.Data[8:]),
			}
			// scm_check_creds: -1 is no id; others are the
			// sender's to claim or not.
			if cr.UID == ^uint32(0) || cr.GID == ^uint32(0) {
				scm.Destroy()
				return errno.EINVAL
			}
			if !src.MayClaim(cr) {
				scm.Destroy()
				return errno.EPERM
			}
			if cr.PID != scm.Cred.PID && !src.PIDExists(cr.PID) {
				scm.Destroy()
				return errno.ESRCH
			}
			scm.Cred = cr
		default:
			scm.Destroy()
			return errno.EINVAL
		}
	}
	return nil
}

// EncodeUcred lays out struct ucred.
func EncodeUcred(c Cred) []byte {
	b := make([]byte, ucredSize)
	binary.LittleEndian.PutUint32(b, uint32(c.PID))
	binary.LittleEndian.PutUint32(b[4:], c.UID)
	binary.LittleEndian.PutUint32(b[8:], c.GID)
	return b
}

// CmsgWriter fills a recvmsg control buffer as put_cmsg and
// scm_detach_fds do: a message that does not fit is cut to what is left
// and sets MSG_CTRUNC. Like Linux it writes headers and data only, never
// the alignment padding between messages: Writes lists the pieces by
// their offset in the user's buffer.
type CmsgWriter struct {
	Writes []CmsgWrite
	Used   int  // bytes of the buffer consumed (the new msg_controllen)
	Size   int  // msg_controllen still unused
	Trunc  bool // MSG_CTRUNC
}

// CmsgWrite is bytes to copy out at an offset of the control buffer.
type CmsgWrite struct {
	Off int
	B   []byte
}

// Put is put_cmsg.
func (w *CmsgWriter) Put(level, typ int32, data []byte) {
	if w.Size < CmsghdrSize {
		w.Trunc = true
		return
	}
	cmlen := CmsgLen(len(data))
	if w.Size < cmlen {
		w.Trunc = true
		cmlen = w.Size
	}
	b := cmsgHeader(cmlen, level, typ)
	b = append(b, data[:cmlen-CmsghdrSize]...)
	w.Writes = append(w.Writes, CmsgWrite{w.Used, b})
	w.advance(CmsgSpace(len(data)))
}

// cmsgHeader lays out a struct cmsghdr.
func cmsgHeader(cmlen int, level, typ int32) []byte {
	h := make([]byte, CmsghdrSize, cmlen)
	binary.LittleEndian.PutUint64(h, uint64(cmlen))
	binary.LittleEndian.PutUint32(h[8:], uint32(level))
	binary.LittleEndian.PutUint32(h[12:], uint32(typ))
	return h
}

// advance moves past a message taking space bytes, or what is left.
func (w *CmsgWriter) advance(space int) {
	space = min(space, w.Size)
	w.Used += space
	w.Size -= space
}

// MaxFDs is scm_max_fds: how many descriptors fit in what is left.
func (w *CmsgWriter) MaxFDs() int {
	if w.Size <= CmsghdrSize {
		return 0
	}
	return (w.Size - CmsghdrSize) / 4
}

// PutRights is the tail of scm_detach_fds: the SCM_RIGHTS message for the
// fds installed (if any), and MSG_CTRUNC when fewer than total got in.
func (w *CmsgWriter) PutRights(fds []int32, total int) {
	if len(fds) > 0 {
		b := cmsgHeader(CmsgLen(4*len(fds)), SOL_SOCKET, SCM_RIGHTS)
		for _, fd := range fds {
			b = binary.LittleEndian.AppendUint32(b, uint32(fd))
		}
		w.Writes = append(w.Writes, CmsgWrite{w.Used, b})
		w.advance(CmsgSpace(4 * len(fds)))
	}
	if len(fds) < total {
		w.Trunc = true
	}
}
