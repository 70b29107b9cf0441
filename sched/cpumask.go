package sched

import (
	"math/bits"
	"strconv"
	"strings"
)

// NRCPUs is the largest number of CPUs a CPUMask can describe (NR_CPUS).
const NRCPUs = 256

// CPUMask is a set of CPUs (struct cpumask), a value type so that a task's
// mask can be copied and compared freely.
type CPUMask [NRCPUs / 64]uint64

// MaskOf returns the mask holding exactly the given CPUs.
func MaskOf(cpus ...int) CPUMask {
	var m CPUMask
	for _, c := range cpus {
		m.Set(c)
	}
	return m
}

// MaskFirstN returns the mask of CPUs 0..n-1 (what cpu_online_mask is here).
func MaskFirstN(n int) CPUMask {
	var m CPUMask
	for c := 0; c < n && c < NRCPUs; c++ {
		m.Set(c)
	}
	return m
}

// CPUMaskAll is CPU_MASK_ALL, the mask init_task starts with.
var CPUMaskAll = MaskFirstN(NRCPUs)

func validCPU(cpu int) bool { return cpu >= 0 && cpu < NRCPUs }

// Set is cpumask_set_cpu.
func (m *CPUMask) Set(cpu int) {
	if validCPU(cpu) {
		m[cpu/64] |= 1 << (cpu % 64)
	}
}

// Clear is cpumask_clear_cpu.
func (m *CPUMask) Clear(cpu int) {
	if validCPU(cpu) {
		m[cpu/64] &^= 1 << (cpu % 64)
	}
}

// Test is cpumask_test_cpu.
func (m CPUMask) Test(cpu int) bool {
	return validCPU(cpu) && m[cpu/64]&(1<<(cpu%64)) != 0
}

// And is cpumask_and.
func (m CPUMask) And(o CPUMask) CPUMask {
	for i := range m {
		m[i] &= o[i]
	}
	return m
}

// Or is cpumask_or.
func (m CPUMask) Or(o CPUMask) CPUMask {
	for i := range m {
		m[i] |= o[i]
	}
	return m
}

// Empty is cpumask_empty.
func (m CPUMask) Empty() bool { return m == CPUMask{} }

// Weight is cpumask_weight: the number of CPUs in the mask.
func (m CPUMask) Weight() int {
	n := 0
	for _, w := range m {
		n += bits.OnesCount64(w)
	}
	return n
}

// First is cpumask_first; it returns NRCPUs when the mask is empty.
func (m CPUMask) First() int { return m.Next(-1) }

// Next is cpumask_next: the first CPU after cpu, or NRCPUs.
func (m CPUMask) Next(cpu int) int {
	for c := cpu + 1; c < NRCPUs; {
		w := m[c/64] >> (c % 64)
		if w != 0 {
			return c + bits.TrailingZeros64(w)
		}
		c = (c/64 + 1) * 64
	}
	return NRCPUs
}

// CPUs lists the CPUs in the mask in increasing order.
func (m CPUMask) CPUs() []int {
	var r []int
	for c := m.First(); c < NRCPUs; c = m.Next(c) {
		r = append(r, c)
	}
	return r
}

// String formats the mask as a cpulist ("0-3,6"), as /proc and taskset -c do.
func (m CPUMask) String() string {
	var b strings.Builder
	for c := m.First(); c < NRCPUs; {
		end := c
		for end+1 < NRCPUs && m.Test(end+1) {
			end++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(c))
		if end > c {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(end))
		}
		c = m.Next(end)
	}
	return b.String()
}

// MaskFromBytes decodes the user buffer of sched_setaffinity(2): a
// little-endian bit array, CPU n in bit n%8 of byte n/8. Bits beyond NRCPUs
// are ignored, as Linux ignores bits beyond nr_cpu_ids.
func MaskFromBytes(b []byte) CPUMask {
	var m CPUMask
	for i, v := range b {
		if i >= NRCPUs/8 {
			break
		}
		m[i/8] |= uint64(v) << (8 * (i % 8))
	}
	return m
}

// Bytes encodes the mask for sched_getaffinity(2) into n bytes.
func (m CPUMask) Bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		if i >= NRCPUs/8 {
			break
		}
		b[i] = byte(m[i/8] >> (8 * (i % 8)))
	}
	return b
}
