package proc

import (
	"sync"

	"tamix/errno"
)

func init() {
	syscallTable[SYS_sethostname] = sysSethostname
	syscallTable[SYS_setdomainname] = sysSetdomainname
}

// utsLock is Linux's uts_sem: uname, sethostname, setdomainname and
// /proc/sys/kernel/{hostname,domainname} see and change Utsname whole.
var utsLock sync.RWMutex

// __NEW_UTS_LEN: a name is at most 64 bytes (the 65th is its NUL).
const newUTSLen = 64

// UTS is a consistent copy of Utsname (down_read(&uts_sem)).
func UTS() (sysname, nodename, release, version, machine, domainname string) {
	utsLock.RLock()
	defer utsLock.RUnlock()
	u := Utsname
	return u.Sysname, u.Nodename, u.Release, u.Version, u.Machine, u.Domainname
}

// SetNodename and SetDomainname change the names as the sysctl files do
// (proc_do_uts_string): the caller checked the permission, and a name
// longer than 64 bytes is cut there.
func SetNodename(s string) { setUTS(&Utsname.Nodename, s) }

// SetDomainname: see SetNodename.
func SetDomainname(s string) { setUTS(&Utsname.Domainname, s) }

func setUTS(field *string, s string) {
	if len(s) > newUTSLen {
		s = s[:newUTSLen]
	}
	utsLock.Lock()
	*field = s
	utsLock.Unlock()
}

// sysSethostname is sethostname(name, len): CAP_SYS_ADMIN (in the UTS
// namespace's user namespace) or EPERM, a length beyond 64 (or negative:
// it is unsigned) EINVAL, then the bytes as they are, NULs included.
func sysSethostname(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	return 0, t.setUTSName(&Utsname.Nodename, a[0], a[1])
}

// sysSetdomainname is setdomainname(name, len), the same for the NIS
// domain name.
func sysSetdomainname(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	return 0, t.setUTSName(&Utsname.Domainname, a[0], a[1])
}

func (t *Task) setUTSName(field *string, va, n uint64) error {
	if !t.Cred().Capable(CAP_SYS_ADMIN) {
		return errno.EPERM
	}
	l := int32(n) // len is an int
	if l < 0 || l > newUTSLen {
		return errno.EINVAL
	}
	b, err := t.copyIn(va, int(l))
	if err != nil {
		return err
	}
	utsLock.Lock()
	*field = string(b)
	utsLock.Unlock()
	return nil
}
