package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// qmpEvent is one asynchronous QMP event.
type qmpEvent struct {
	Event string `json:"event"`
	Data  struct {
		Guest  bool   `json:"guest"`
		Reason string `json:"reason"`
	} `json:"data"`
}

// qmpHandshake reads QMP's greeting on conn and enters command mode, so that
// QEMU sends its events. It returns a reader positioned after the reply.
func qmpHandshake(conn net.Conn, timeout time.Duration) (*bufio.Reader, error) {
	conn.SetDeadline(time.Now().Add(timeout))
	defer conn.SetDeadline(time.Time{})
	r := bufio.NewReader(conn)
	greeting, err := r.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("qmp greeting: %w", err)
	}
	var g map[string]any
	if err := json.Unmarshal(greeting, &g); err != nil || g["QMP"] == nil {
		return nil, fmt.Errorf("qmp: unexpected greeting %q", greeting)
	}
	if _, err := conn.Write([]byte(`{"execute":"qmp_capabilities"}` + "\n")); err != nil {
		return nil, fmt.Errorf("qmp: %w", err)
	}
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("qmp capabilities: %w", err)
		}
		var reply map[string]any
		if json.Unmarshal(line, &reply) != nil {
			continue
		}
		if e, ok := reply["error"]; ok {
			return nil, fmt.Errorf("qmp capabilities: %v", e)
		}
		if _, ok := reply["return"]; ok {
			return r, nil
		}
		// an event before the reply: ignore
	}
}
