package bot

import (
	"context"
	"net"
	"syscall"
	"testing"
)

// TestGatewayDialerSetsReadBuffer: the gateway's TCP connection asks for
// gatewayReadBuffer (Linux reports twice what was granted, capped by
// net.core.rmem_max).
func TestGatewayDialerSetsReadBuffer(t *testing.T) {
	if max, known := readBufferCap(); !gatewayBuffer(max, known) {
		t.Skipf("the kernel caps receive buffers at %d (net.core.rmem_max), below %d: footnote leaves the connection to autotuning (TestGatewayDialerWithoutBuffer)", max, gatewayReadBuffer)
	}
	b, err := New(Options{Token: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.s.Dialer == nil || b.s.Dialer.NetDialContext == nil {
		t.Fatal("the session does not dial the gateway with gatewayDialer")
	}
	// The default is 128 KiB (net.ipv4.tcp_rmem); the kernel doubles what
	// it grants for its own bookkeeping.
	if got := dialedReadBuffer(t, b.s.Dialer.NetDialContext); got < 2*gatewayReadBuffer {
		t.Errorf("SO_RCVBUF = %d, want at least 2 × %d", got, gatewayReadBuffer)
	}
}

// TestGatewayDialerWithoutBuffer: below the cap, the connection keeps the
// kernel's default (autotuned) buffer rather than a fixed smaller one.
func TestGatewayDialerWithoutBuffer(t *testing.T) {
	if got := dialedReadBuffer(t, gatewayDialer(false).NetDialContext); got >= 2*gatewayReadBuffer {
		t.Errorf("SO_RCVBUF = %d without the buffer asked for", got)
	}
}

// dialedReadBuffer dials a loopback listener with dial and returns the
// connection's SO_RCVBUF.
func dialedReadBuffer(t *testing.T, dial func(context.Context, string, string) (net.Conn, error)) int {
	t.Helper()
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
	c, err := dial(context.Background(), "tcp", ln.Addr().String())
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
	return got
}
