// Package errno holds Linux's error numbers (include/uapi/asm-generic/errno*.h).
// System calls return them negated in RAX, as Linux does.
package errno

// Errno is a Linux error number. It implements error.
type Errno uintptr

// Linux error numbers, with the values of asm-generic/errno-base.h and errno.h.
const (
	EPERM           Errno = 1   // Operation not permitted
	ENOENT          Errno = 2   // No such file or directory
	ESRCH           Errno = 3   // No such process
	EINTR           Errno = 4   // Interrupted system call
	EIO             Errno = 5   // I/O error
	ENXIO           Errno = 6   // No such device or address
	E2BIG           Errno = 7   // Argument list too long
	ENOEXEC         Errno = 8   // Exec format error
	EBADF           Errno = 9   // Bad file number
	ECHILD          Errno = 10  // No child processes
	EAGAIN          Errno = 11  // Try again
	ENOMEM          Errno = 12  // Out of memory
	EACCES          Errno = 13  // Permission denied
	EFAULT          Errno = 14  // Bad address
	ENOTBLK         Errno = 15  // Block device required
	EBUSY           Errno = 16  // Device or resource busy
	EEXIST          Errno = 17  // File exists
	EXDEV           Errno = 18  // Cross-device link
	ENODEV          Errno = 19  // No such device
	ENOTDIR         Errno = 20  // Not a directory
	EISDIR          Errno = 21  // Is a directory
	EINVAL          Errno = 22  // Invalid argument
	ENFILE          Errno = 23  // File table overflow
	EMFILE          Errno = 24  // Too many open files
	ENOTTY          Errno = 25  // Not a typewriter
	ETXTBSY         Errno = 26  // Text file busy
	EFBIG           Errno = 27  // File too large
	ENOSPC          Errno = 28  // No space left on device
	ESPIPE          Errno = 29  // Illegal seek
	EROFS           Errno = 30  // Read-only file system
	EMLINK          Errno = 31  // Too many links
	EPIPE           Errno = 32  // Broken pipe
	EDOM            Errno = 33  // Math argument out of domain of func
	ERANGE          Errno = 34  // Math result not representable
	EDEADLK         Errno = 35  // Resource deadlock would occur
	ENAMETOOLONG    Errno = 36  // File name too long
	ENOLCK          Errno = 37  // No record locks available
	ENOSYS          Errno = 38  // Invalid system call number
	ENOTEMPTY       Errno = 39  // Directory not empty
	ELOOP           Errno = 40  // Too many symbolic links encountered
	ENOMSG          Errno = 42  // No message of desired type
	EIDRM           Errno = 43  // Identifier removed
	ECHRNG          Errno = 44  // Channel number out of range
	EL2NSYNC        Errno = 45  // Level 2 not synchronized
	EL3HLT          Errno = 46  // Level 3 halted
	EL3RST          Errno = 47  // Level 3 reset
	ELNRNG          Errno = 48  // Link number out of range
	EUNATCH         Errno = 49  // Protocol driver not attached
	ENOCSI          Errno = 50  // No CSI structure available
	EL2HLT          Errno = 51  // Level 2 halted
	EBADE           Errno = 52  // Invalid exchange
	EBADR           Errno = 53  // Invalid request descriptor
	EXFULL          Errno = 54  // Exchange full
	ENOANO          Errno = 55  // No anode
	EBADRQC         Errno = 56  // Invalid request code
	EBADSLT         Errno = 57  // Invalid slot
	EBFONT          Errno = 59  // Bad font file format
	ENOSTR          Errno = 60  // Device not a stream
	ENODATA         Errno = 61  // No data available
	ETIME           Errno = 62  // Timer expired
	ENOSR           Errno = 63  // Out of streams resources
	ENONET          Errno = 64  // Machine is not on the network
	ENOPKG          Errno = 65  // Package not installed
	EREMOTE         Errno = 66  // Object is remote
	ENOLINK         Errno = 67  // Link has been severed
	EADV            Errno = 68  // Advertise error
	ESRMNT          Errno = 69  // Srmount error
	ECOMM           Errno = 70  // Communication error on send
	EPROTO          Errno = 71  // Protocol error
	EMULTIHOP       Errno = 72  // Multihop attempted
	EDOTDOT         Errno = 73  // RFS specific error
	EBADMSG         Errno = 74  // Not a data message
	EOVERFLOW       Errno = 75  // Value too large for defined data type
	ENOTUNIQ        Errno = 76  // Name not unique on network
	EBADFD          Errno = 77  // File descriptor in bad state
	EREMCHG         Errno = 78  // Remote address changed
	ELIBACC         Errno = 79  // Can not access a needed shared library
	ELIBBAD         Errno = 80  // Accessing a corrupted shared library
	ELIBSCN         Errno = 81  // .lib section in a.out corrupted
	ELIBMAX         Errno = 82  // Attempting to link in too many shared libraries
	ELIBEXEC        Errno = 83  // Cannot exec a shared library directly
	EILSEQ          Errno = 84  // Illegal byte sequence
	ERESTART        Errno = 85  // Interrupted system call should be restarted
	ESTRPIPE        Errno = 86  // Streams pipe error
	EUSERS          Errno = 87  // Too many users
	ENOTSOCK        Errno = 88  // Socket operation on non-socket
	EDESTADDRREQ    Errno = 89  // Destination address required
	EMSGSIZE        Errno = 90  // Message too long
	EPROTOTYPE      Errno = 91  // Protocol wrong type for socket
	ENOPROTOOPT     Errno = 92  // Protocol not available
	EPROTONOSUPPORT Errno = 93  // Protocol not supported
	ESOCKTNOSUPPORT Errno = 94  // Socket type not supported
	EOPNOTSUPP      Errno = 95  // Operation not supported on transport endpoint
	EPFNOSUPPORT    Errno = 96  // Protocol family not supported
	EAFNOSUPPORT    Errno = 97  // Address family not supported by protocol
	EADDRINUSE      Errno = 98  // Address already in use
	EADDRNOTAVAIL   Errno = 99  // Cannot assign requested address
	ENETDOWN        Errno = 100 // Network is down
	ENETUNREACH     Errno = 101 // Network is unreachable
	ENETRESET       Errno = 102 // Network dropped connection because of reset
	ECONNABORTED    Errno = 103 // Software caused connection abort
	ECONNRESET      Errno = 104 // Connection reset by peer
	ENOBUFS         Errno = 105 // No buffer space available
	EISCONN         Errno = 106 // Transport endpoint is already connected
	ENOTCONN        Errno = 107 // Transport endpoint is not connected
	ESHUTDOWN       Errno = 108 // Cannot send after transport endpoint shutdown
	ETOOMANYREFS    Errno = 109 // Too many references: cannot splice
	ETIMEDOUT       Errno = 110 // Connection timed out
	ECONNREFUSED    Errno = 111 // Connection refused
	EHOSTDOWN       Errno = 112 // Host is down
	EHOSTUNREACH    Errno = 113 // No route to host
	EALREADY        Errno = 114 // Operation already in progress
	EINPROGRESS     Errno = 115 // Operation now in progress
	ESTALE          Errno = 116 // Stale file handle
	EUCLEAN         Errno = 117 // Structure needs cleaning
	ENOTNAM         Errno = 118 // Not a XENIX named type file
	ENAVAIL         Errno = 119 // No XENIX semaphores available
	EISNAM          Errno = 120 // Is a named type file
	EREMOTEIO       Errno = 121 // Remote I/O error
	EDQUOT          Errno = 122 // Quota exceeded
	ENOMEDIUM       Errno = 123 // No medium found
	EMEDIUMTYPE     Errno = 124 // Wrong medium type
	ECANCELED       Errno = 125 // Operation Canceled
	ENOKEY          Errno = 126 // Required key not available
	EKEYEXPIRED     Errno = 127 // Key has expired
	EKEYREVOKED     Errno = 128 // Key has been revoked
	EKEYREJECTED    Errno = 129 // Key was rejected by service
	EOWNERDEAD      Errno = 130 // Owner died
	ENOTRECOVERABLE Errno = 131 // State not recoverable
	ERFKILL         Errno = 132 // Operation not possible due to RF-kill
	EHWPOISON       Errno = 133 // Memory page has hardware error

	EWOULDBLOCK = EAGAIN
	EDEADLOCK   = EDEADLK
)

// Kernel-internal codes that never reach user space (include/linux/errno.h):
// a system call interrupted by a signal is restarted or turned into EINTR.
const (
	ERESTARTSYS           Errno = 512
	ERESTARTNOINTR        Errno = 513
	ERESTARTNOHAND        Errno = 514
	ERESTART_RESTARTBLOCK Errno = 516
)

// IsRestart reports whether rax, a system call's return value, is one of
// the restart codes above, which signal delivery must fix up.
func IsRestart(rax uint64) bool {
	switch Errno(-rax) {
	case ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK:
		return true
	}
	return false
}

// Error returns the message of the error's comment in Linux's header.
func (e Errno) Error() string {
	if s, ok := messages[e]; ok {
		return s
	}
	return "errno " + itoa(uint64(e))
}

// Name returns the symbolic name, e.g. "ENOENT".
func (e Errno) Name() string {
	if s, ok := names[e]; ok {
		return s
	}
	return "E" + itoa(uint64(e))
}

// Negated returns the value a system call leaves in RAX for this error.
func (e Errno) Negated() uint64 { return -uint64(e) }

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

var names = map[Errno]string{
	EPERM:           "EPERM",
	ENOENT:          "ENOENT",
	ESRCH:           "ESRCH",
	EINTR:           "EINTR",
	EIO:             "EIO",
	ENXIO:           "ENXIO",
	E2BIG:           "E2BIG",
	ENOEXEC:         "ENOEXEC",
	EBADF:           "EBADF",
	ECHILD:          "ECHILD",
	EAGAIN:          "EAGAIN",
	ENOMEM:          "ENOMEM",
	EACCES:          "EACCES",
	EFAULT:          "EFAULT",
	ENOTBLK:         "ENOTBLK",
	EBUSY:           "EBUSY",
	EEXIST:          "EEXIST",
	EXDEV:           "EXDEV",
	ENODEV:          "ENODEV",
	ENOTDIR:         "ENOTDIR",
	EISDIR:          "EISDIR",
	EINVAL:          "EINVAL",
	ENFILE:          "ENFILE",
	EMFILE:          "EMFILE",
	ENOTTY:          "ENOTTY",
	ETXTBSY:         "ETXTBSY",
	EFBIG:           "EFBIG",
	ENOSPC:          "ENOSPC",
	ESPIPE:          "ESPIPE",
	EROFS:           "EROFS",
	EMLINK:          "EMLINK",
	EPIPE:           "EPIPE",
	EDOM:            "EDOM",
	ERANGE:          "ERANGE",
	EDEADLK:         "EDEADLK",
	ENAMETOOLONG:    "ENAMETOOLONG",
	ENOLCK:          "ENOLCK",
	ENOSYS:          "ENOSYS",
	ENOTEMPTY:       "ENOTEMPTY",
	ELOOP:           "ELOOP",
	ENOMSG:          "ENOMSG",
	EIDRM:           "EIDRM",
	ECHRNG:          "ECHRNG",
	EL2NSYNC:        "EL2NSYNC",
	EL3HLT:          "EL3HLT",
	EL3RST:          "EL3RST",
	ELNRNG:          "ELNRNG",
	EUNATCH:         "EUNATCH",
	ENOCSI:          "ENOCSI",
	EL2HLT:          "EL2HLT",
	EBADE:           "EBADE",
	EBADR:           "EBADR",
	EXFULL:          "EXFULL",
	ENOANO:          "ENOANO",
	EBADRQC:         "EBADRQC",
	EBADSLT:         "EBADSLT",
	EBFONT:          "EBFONT",
	ENOSTR:          "ENOSTR",
	ENODATA:         "ENODATA",
	ETIME:           "ETIME",
	ENOSR:           "ENOSR",
	ENONET:          "ENONET",
	ENOPKG:          "ENOPKG",
	EREMOTE:         "EREMOTE",
	ENOLINK:         "ENOLINK",
	EADV:            "EADV",
	ESRMNT:          "ESRMNT",
	ECOMM:           "ECOMM",
	EPROTO:          "EPROTO",
	EMULTIHOP:       "EMULTIHOP",
	EDOTDOT:         "EDOTDOT",
	EBADMSG:         "EBADMSG",
	EOVERFLOW:       "EOVERFLOW",
	ENOTUNIQ:        "ENOTUNIQ",
	EBADFD:          "EBADFD",
	EREMCHG:         "EREMCHG",
	ELIBACC:         "ELIBACC",
	ELIBBAD:         "ELIBBAD",
	ELIBSCN:         "ELIBSCN",
	ELIBMAX:         "ELIBMAX",
	ELIBEXEC:        "ELIBEXEC",
	EILSEQ:          "EILSEQ",
	ERESTART:        "ERESTART",
	ESTRPIPE:        "ESTRPIPE",
	EUSERS:          "EUSERS",
	ENOTSOCK:        "ENOTSOCK",
	EDESTADDRREQ:    "EDESTADDRREQ",
	EMSGSIZE:        "EMSGSIZE",
	EPROTOTYPE:      "EPROTOTYPE",
	ENOPROTOOPT:     "ENOPROTOOPT",
	EPROTONOSUPPORT: "EPROTONOSUPPORT",
	ESOCKTNOSUPPORT: "ESOCKTNOSUPPORT",
	EOPNOTSUPP:      "EOPNOTSUPP",
	EPFNOSUPPORT:    "EPFNOSUPPORT",
	EAFNOSUPPORT:    "EAFNOSUPPORT",
	EADDRINUSE:      "EADDRINUSE",
	EADDRNOTAVAIL:   "EADDRNOTAVAIL",
	ENETDOWN:        "ENETDOWN",
	ENETUNREACH:     "ENETUNREACH",
	ENETRESET:       "ENETRESET",
	ECONNABORTED:    "ECONNABORTED",
	ECONNRESET:      "ECONNRESET",
	ENOBUFS:         "ENOBUFS",
	EISCONN:         "EISCONN",
	ENOTCONN:        "ENOTCONN",
	ESHUTDOWN:       "ESHUTDOWN",
	ETOOMANYREFS:    "ETOOMANYREFS",
	ETIMEDOUT:       "ETIMEDOUT",
	ECONNREFUSED:    "ECONNREFUSED",
	EHOSTDOWN:       "EHOSTDOWN",
	EHOSTUNREACH:    "EHOSTUNREACH",
	EALREADY:        "EALREADY",
	EINPROGRESS:     "EINPROGRESS",
	ESTALE:          "ESTALE",
	EUCLEAN:         "EUCLEAN",
	ENOTNAM:         "ENOTNAM",
	ENAVAIL:         "ENAVAIL",
	EISNAM:          "EISNAM",
	EREMOTEIO:       "EREMOTEIO",
	EDQUOT:          "EDQUOT",
	ENOMEDIUM:       "ENOMEDIUM",
	EMEDIUMTYPE:     "EMEDIUMTYPE",
	ECANCELED:       "ECANCELED",
	ENOKEY:          "ENOKEY",
	EKEYEXPIRED:     "EKEYEXPIRED",
	EKEYREVOKED:     "EKEYREVOKED",
	EKEYREJECTED:    "EKEYREJECTED",
	EOWNERDEAD:      "EOWNERDEAD",
	ENOTRECOVERABLE: "ENOTRECOVERABLE",
	ERFKILL:         "ERFKILL",
	EHWPOISON:       "EHWPOISON",
}

var messages = map[Errno]string{
	EPERM:           "Operation not permitted",
	ENOENT:          "No such file or directory",
	ESRCH:           "No such process",
	EINTR:           "Interrupted system call",
	EIO:             "I/O error",
	ENXIO:           "No such device or address",
	E2BIG:           "Argument list too long",
	ENOEXEC:         "Exec format error",
	EBADF:           "Bad file number",
	ECHILD:          "No child processes",
	EAGAIN:          "Try again",
	ENOMEM:          "Out of memory",
	EACCES:          "Permission denied",
	EFAULT:          "Bad address",
	ENOTBLK:         "Block device required",
	EBUSY:           "Device or resource busy",
	EEXIST:          "File exists",
	EXDEV:           "Cross-device link",
	ENODEV:          "No such device",
	ENOTDIR:         "Not a directory",
	EISDIR:          "Is a directory",
	EINVAL:          "Invalid argument",
	ENFILE:          "File table overflow",
	EMFILE:          "Too many open files",
	ENOTTY:          "Not a typewriter",
	ETXTBSY:         "Text file busy",
	EFBIG:           "File too large",
	ENOSPC:          "No space left on device",
	ESPIPE:          "Illegal seek",
	EROFS:           "Read-only file system",
	EMLINK:          "Too many links",
	EPIPE:           "Broken pipe",
	EDOM:            "Math argument out of domain of func",
	ERANGE:          "Math result not representable",
	EDEADLK:         "Resource deadlock would occur",
	ENAMETOOLONG:    "File name too long",
	ENOLCK:          "No record locks available",
	ENOSYS:          "Invalid system call number",
	ENOTEMPTY:       "Directory not empty",
	ELOOP:           "Too many symbolic links encountered",
	ENOMSG:          "No message of desired type",
	EIDRM:           "Identifier removed",
	ECHRNG:          "Channel number out of range",
	EL2NSYNC:        "Level 2 not synchronized",
	EL3HLT:          "Level 3 halted",
	EL3RST:          "Level 3 reset",
	ELNRNG:          "Link number out of range",
	EUNATCH:         "Protocol driver not attached",
	ENOCSI:          "No CSI structure available",
	EL2HLT:          "Level 2 halted",
	EBADE:           "Invalid exchange",
	EBADR:           "Invalid request descriptor",
	EXFULL:          "Exchange full",
	ENOANO:          "No anode",
	EBADRQC:         "Invalid request code",
	EBADSLT:         "Invalid slot",
	EBFONT:          "Bad font file format",
	ENOSTR:          "Device not a stream",
	ENODATA:         "No data available",
	ETIME:           "Timer expired",
	ENOSR:           "Out of streams resources",
	ENONET:          "Machine is not on the network",
	ENOPKG:          "Package not installed",
	EREMOTE:         "Object is remote",
	ENOLINK:         "Link has been severed",
	EADV:            "Advertise error",
	ESRMNT:          "Srmount error",
	ECOMM:           "Communication error on send",
	EPROTO:          "Protocol error",
	EMULTIHOP:       "Multihop attempted",
	EDOTDOT:         "RFS specific error",
	EBADMSG:         "Not a data message",
	EOVERFLOW:       "Value too large for defined data type",
	ENOTUNIQ:        "Name not unique on network",
	EBADFD:          "File descriptor in bad state",
	EREMCHG:         "Remote address changed",
	ELIBACC:         "Can not access a needed shared library",
	ELIBBAD:         "Accessing a corrupted shared library",
	ELIBSCN:         ".lib section in a.out corrupted",
	ELIBMAX:         "Attempting to link in too many shared libraries",
	ELIBEXEC:        "Cannot exec a shared library directly",
	EILSEQ:          "Illegal byte sequence",
	ERESTART:        "Interrupted system call should be restarted",
	ESTRPIPE:        "Streams pipe error",
	EUSERS:          "Too many users",
	ENOTSOCK:        "Socket operation on non-socket",
	EDESTADDRREQ:    "Destination address required",
	EMSGSIZE:        "Message too long",
	EPROTOTYPE:      "Protocol wrong type for socket",
	ENOPROTOOPT:     "Protocol not available",
	EPROTONOSUPPORT: "Protocol not supported",
	ESOCKTNOSUPPORT: "Socket type not supported",
	EOPNOTSUPP:      "Operation not supported on transport endpoint",
	EPFNOSUPPORT:    "Protocol family not supported",
	EAFNOSUPPORT:    "Address family not supported by protocol",
	EADDRINUSE:      "Address already in use",
	EADDRNOTAVAIL:   "Cannot assign requested address",
	ENETDOWN:        "Network is down",
	ENETUNREACH:     "Network is unreachable",
	ENETRESET:       "Network dropped connection because of reset",
	ECONNABORTED:    "Software caused connection abort",
	ECONNRESET:      "Connection reset by peer",
	ENOBUFS:         "No buffer space available",
	EISCONN:         "Transport endpoint is already connected",
	ENOTCONN:        "Transport endpoint is not connected",
	ESHUTDOWN:       "Cannot send after transport endpoint shutdown",
	ETOOMANYREFS:    "Too many references: cannot splice",
	ETIMEDOUT:       "Connection timed out",
	ECONNREFUSED:    "Connection refused",
	EHOSTDOWN:       "Host is down",
	EHOSTUNREACH:    "No route to host",
	EALREADY:        "Operation already in progress",
	EINPROGRESS:     "Operation now in progress",
	ESTALE:          "Stale file handle",
	EUCLEAN:         "Structure needs cleaning",
	ENOTNAM:         "Not a XENIX named type file",
	ENAVAIL:         "No XENIX semaphores available",
	EISNAM:          "Is a named type file",
	EREMOTEIO:       "Remote I/O error",
	EDQUOT:          "Quota exceeded",
	ENOMEDIUM:       "No medium found",
	EMEDIUMTYPE:     "Wrong medium type",
	ECANCELED:       "Operation Canceled",
	ENOKEY:          "Required key not available",
	EKEYEXPIRED:     "Key has expired",
	EKEYREVOKED:     "Key has been revoked",
	EKEYREJECTED:    "Key was rejected by service",
	EOWNERDEAD:      "Owner died",
	ENOTRECOVERABLE: "State not recoverable",
	ERFKILL:         "Operation not possible due to RF-kill",
	EHWPOISON:       "Memory page has hardware error",
}
