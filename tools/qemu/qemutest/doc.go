// Package qemutest holds the QEMU integration tests of tamix: they boot
// $TAMIX_KERNEL (make test-qemu sets it) with tools/qemu/harness and drive
// the shell over the serial console. Without TAMIX_KERNEL they skip loudly.
package qemutest
