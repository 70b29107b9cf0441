package mm

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVMFlagsString(t *testing.T) {
	assert.Equal(t, "r-xp", (VMRead | VMExec | VMMayRead).String())
	assert.Equal(t, "rw-s", (VMRead | VMWrite | VMShared | VMMayShare).String())
	assert.Equal(t, "---p", VMFlags(0).String())
}
