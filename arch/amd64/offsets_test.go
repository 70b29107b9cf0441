package amd64

import (
	"reflect"
	"unsafe"
)

func fieldOffsets(tf *TrapFrame) map[string]uintptr {
	m := map[string]uintptr{}
	t := reflect.TypeOf(*tf)
	for i := 0; i < t.NumField(); i++ {
		m[t.Field(i).Name] = t.Field(i).Offset
	}
	_ = unsafe.Sizeof(*tf)
	return m
}
