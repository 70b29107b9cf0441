#!/bin/sh
# /init of the Linux initramfs that `make bench` builds (tools/bench): mounts
# the pseudo file systems, puts busybox's applets in /sbin (the tamix user
# programs in /bin take precedence, so /bin/true is the same static musl
# binary on both kernels) and starts a shell on the serial console with the
# prompt the bench tool waits for.
/sbin/busybox mount -t devtmpfs dev /dev
exec 0</dev/console 1>/dev/console 2>/dev/console
/sbin/busybox --install -s /sbin
export PATH=/bin:/sbin HOME=/ TERM=vt100 PS1='linux# '
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
# no address-space randomization (tamix has none): fewer run-to-run
# differences in icount mode
echo 0 >/proc/sys/kernel/randomize_va_space
cd /
echo "linux: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource), up $(cut -d' ' -f1 /proc/uptime) s"
while :; do
	setsid cttyhack sh
done
