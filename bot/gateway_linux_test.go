package bot

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestGatewayDialerSetsReadBuffer: the gateway's TCP connection asks for
// gatewayReadBuffer (Linux reports twice what was granted, capped by
// net.core.rmem_max).
func TestGatewayDialerSetsReadBuffer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := gatewayDialer().NetDialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		got, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	want := gatewayReadBuffer
	b, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Skipf("cannot read the kernel's cap on receive buffers: %v", err)
	}
	if max, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && max < want {
		want = max
	}
	// The default is 128 KiB (net.ipv4.tcp_rmem); the kernel doubles what
	// it grants for its own bookkeeping.
	if got < 2*want {
		t.Errorf("SO_RCVBUF = %d, want at least 2 × %d", got, want)
	}
}
